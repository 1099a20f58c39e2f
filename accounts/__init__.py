"""A person's own data: the page that says what the platform holds, its export (JSON, CSV) and
the deletion of the account, both walking the personal-data registry (`tilab.personal_data`)."""
