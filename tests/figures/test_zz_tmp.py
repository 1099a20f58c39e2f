import time
from django.db import connection
from django.test.utils import CaptureQueriesContext
from makers.models import ProductionReport
from tests.factories import make_report, make_maker
import cProfile, pstats

def test_q(client, region_staff, relay_staff):
    ms = [make_maker(display_name=f"m{n}", department=["35","22","29","56"][n%4]) for n in range(300)]
    item = make_report(ms[0]).item_type_id
    ProductionReport.objects.bulk_create([ProductionReport(maker=ms[n%300], department_id=ms[n%300].department_id, item_type_id=item, quantity=3, produced_on="2020-04-01", material_cost_cents=1, status="submitted", source="maker", entered_at="2020-04-01T10:00Z", updated_at="2020-04-01T10:00Z") for n in range(3000)])
    client.force_login(region_staff)
    client.get("/dashboard/")
    with CaptureQueriesContext(connection) as q:
        t=time.perf_counter(); client.get("/dashboard/"); print("\nregion", time.perf_counter()-t, len(q))
    pr = cProfile.Profile(); pr.enable(); client.get("/dashboard/"); pr.disable()
    pstats.Stats(pr).sort_stats("cumulative").print_stats(70)
