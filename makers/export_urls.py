"""URLs of the staff exports: reports with makers, generated in the background."""

app_name = "exports"
urlpatterns: list = []
