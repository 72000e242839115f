"""Role boundaries (enforced in the query layer) and masking of personal data."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epicontrol.api import queries
from epicontrol.domains.users.schemas import Viewer

from .conftest import Store, auth, new_task


def test_grid_worker_sees_only_own_community_persons(client: TestClient, store: Store) -> None:
    r = client.get("/api/persons", params={"limit": 500}, headers=auth(client, "gridA"))
    assert r.status_code == 200
    body = r.json()
    assert body["total"] > 0
    assert {p["community_id"] for p in body["items"]} == {store.community_a}
    ids = {p["id"] for p in body["items"]}
    assert set(store.persons_a) <= ids and not (set(store.persons_b) & ids)
    # another community's resident is absent, even asked for by id or by filter
    other = store.persons_b[0]
    assert client.get(f"/api/persons/{other}", headers=auth(client, "gridA")).status_code == 404
    filtered = client.get(
        "/api/persons", params={"community_id": store.community_b}, headers=auth(client, "gridA")
    )
    assert filtered.json()["total"] == 0


def test_grid_worker_contacts_and_cases_are_their_community(
    client: TestClient, store: Store
) -> None:
    contacts = client.get("/api/contacts", headers=auth(client, "gridA")).json()
    assert contacts["total"] == 4
    assert {c["home_community_id"] for c in contacts["items"]} == {store.community_a}
    assert client.get("/api/contacts", headers=auth(client, "gridB")).json()["total"] == 4
    assert client.get("/api/contacts", headers=auth(client, "epi")).json()["total"] == 8
    cases = client.get("/api/cases", headers=auth(client, "gridA")).json()
    assert {c["id"] for c in cases["items"]} == set(store.cases_a)
    r = client.get(f"/api/cases/{store.case_b}", headers=auth(client, "gridA"))
    assert r.status_code == 404


def test_scope_is_enforced_in_the_query_layer(store: Store) -> None:
    grid = Viewer(user_id=None, name="g", role="grid_worker", community_id=store.community_a)
    officer = Viewer(user_id=None, name="o", role="department_officer", department="police")
    window = queries.Window(limit=1000, offset=0)
    with Session(store.engine) as session:
        _, persons = queries.list_persons(session=session, viewer=grid, window=window)
        assert {p.community_id for p in persons} == {store.community_a}
        _, contacts = queries.list_contacts(
            session=session, viewer=grid, window=window, community_id=store.community_b
        )
        assert contacts == []
        _, tasks = queries.list_task_rows(session=session, viewer=officer, window=window)
        assert tasks and {t.department for t in tasks} == {"police"}
        with pytest.raises(queries.AccessDenied, match="may not read persons"):
            queries.list_persons(session=session, viewer=officer, window=window)
        with pytest.raises(queries.ScopeNotFound, match="does not exist"):
            queries.get_person(session=session, viewer=grid, person_id=store.persons_b[0])


def test_department_officer_sees_only_their_department(client: TestClient, store: Store) -> None:
    new_task(store, "police")
    health_task = new_task(store, "health")
    r = client.get("/api/tasks", params={"limit": 500}, headers=auth(client, "police1")).json()
    assert r["total"] > 0 and {t["department"] for t in r["items"]} == {"police"}
    got = client.get(f"/api/tasks/{health_task}", headers=auth(client, "police1"))
    assert got.status_code == 404
    # officers read no persons, cases or contacts
    for path in ("/api/persons", "/api/cases", "/api/contacts"):
        assert client.get(path, headers=auth(client, "police1")).status_code == 403, path


def test_department_officer_cannot_complete_another_departments_task(
    client: TestClient, store: Store
) -> None:
    task = new_task(store, "health")
    seen = client.get(f"/api/tasks/{task}", headers=auth(client, "health1"))
    etag = seen.headers["etag"]
    r = client.post(
        f"/api/tasks/{task}/complete",
        json={"evidence": "done by police"},
        headers={**auth(client, "police1"), "If-Match": etag},
    )
    assert r.status_code == 404  # outside the officer's scope: not even visible
    epi = client.post(
        f"/api/tasks/{task}/complete",
        json={"evidence": "epidemiologists read tasks only"},
        headers={**auth(client, "epi"), "If-Match": etag},
    )
    assert epi.status_code == 403
    ok = client.post(
        f"/api/tasks/{task}/complete",
        json={"evidence": "visited, report filed"},
        headers={**auth(client, "health1"), "If-Match": etag},
    )
    assert ok.status_code == 200 and ok.json()["status"] == "done"
    assert ok.json()["completed_by"] == "health1"


def test_grid_worker_community_tasks(client: TestClient, store: Store) -> None:
    mine = new_task(store, "community", case_id=store.cases_a[0])
    about_mine = new_task(store, "community", subject=store.persons_a[3])
    theirs = new_task(store, "community", case_id=store.case_b)
    ids = {
        t["id"]
        for t in client.get(
            "/api/tasks", params={"limit": 500}, headers=auth(client, "gridA")
        ).json()["items"]
    }
    assert {mine, about_mine} <= ids and theirs not in ids
    etag = client.get(f"/api/tasks/{mine}", headers=auth(client, "gridA")).headers["etag"]
    r = client.post(f"/api/tasks/{mine}/start", headers={**auth(client, "gridA"), "If-Match": etag})
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    r = client.post(
        f"/api/tasks/{theirs}/start", headers={**auth(client, "gridA"), "If-Match": '"v1"'}
    )
    assert r.status_code == 404


def test_alert_scope(client: TestClient, store: Store) -> None:
    from .conftest import new_alert

    in_a = new_alert(store, store.area_a, ("health",))
    in_b = new_alert(store, store.area_b, ("education",))
    grid_ids = {
        a["id"]
        for a in client.get(
            "/api/alerts", params={"limit": 500}, headers=auth(client, "gridA")
        ).json()["items"]
    }
    assert in_a in grid_ids and in_b not in grid_ids
    health_ids = {
        a["id"]
        for a in client.get(
            "/api/alerts", params={"limit": 500}, headers=auth(client, "health1")
        ).json()["items"]
    }
    assert in_a in health_ids and in_b not in health_ids
    assert client.get(f"/api/alerts/{in_b}", headers=auth(client, "health1")).status_code == 404
    assert client.get("/api/alerts", headers=auth(client, "site1")).status_code == 403


@pytest.mark.parametrize(
    ("name", "masked"),
    [("chief", False), ("epi", False), ("gridA", True)],
)
def test_masking_per_role(client: TestClient, store: Store, name: str, masked: bool) -> None:
    pid = store.persons_a[0]
    person = client.get(f"/api/persons/{pid}", headers=auth(client, name)).json()
    assert person["masked"] is masked
    phone = person["phone"]
    assert phone is not None
    assert ("*" in phone) is masked
    if person["id_number"] is not None:
        assert ("*" in person["id_number"]) is masked
    contacts = client.get("/api/contacts", headers=auth(client, name)).json()["items"]
    assert all(c["masked"] is masked for c in contacts)
    phones = [c["phone"] for c in contacts if c["phone"] is not None]
    assert phones and all(("*" in p) is masked for p in phones)


def test_facility_manager_sees_own_site_roster_only(client: TestClient, store: Store) -> None:
    mine = client.get("/api/quarantine/roster", headers=auth(client, "site1"))
    assert mine.status_code == 200
    other = client.get(
        "/api/quarantine/roster",
        params={"site_id": store.other_site_id},
        headers=auth(client, "site1"),
    )
    assert other.status_code == 403
    sites = client.get("/api/quarantine/sites", headers=auth(client, "site1")).json()
    assert [s["site_id"] for s in sites] == [store.site_id]
