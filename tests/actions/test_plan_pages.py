"""The action plan page shows 50 actions a page (a national-scale plan has hundreds: ``make bench``);
the filters carry over between pages, and the exports and board paper still hold every action."""

import re

from hsbtrack.bench import generate, measure


def _action_ids(html):
    return set(re.findall(r'data-action="(\d+)"', html))


def test_plan_pages_of_fifty_with_filters_kept(ctx, client):
    data = generate.generate(0.001)  # one area with 60 actions
    area = data.area_ids[0]
    measure.sign_in(client, data.user_email, generate.PASSWORD)  # the bench's board manager has two-factor

    first = client.get(f"/areas/{area}/actions/").get_data(as_text=True)
    second = client.get(f"/areas/{area}/actions/?page=2").get_data(as_text=True)
    assert len(_action_ids(first)) == 50 and len(_action_ids(second)) == 10
    assert not _action_ids(first) & _action_ids(second)
    assert 'aria-current="page"' in first and "Actions 1 to 50 of 60" in first
    assert "Actions 51 to 60 of 60" in second and 'rel="prev"' in second and 'rel="next"' not in second
    assert client.get(f"/areas/{area}/actions/?page=99").status_code == 200  # past the end: the last page

    csv_rows = client.get(f"/areas/{area}/actions/export.csv").get_data(as_text=True).strip().splitlines()
    assert len(csv_rows) >= 61  # header + every action (a description may not add lines: one per action)

    by_title = client.get(f"/areas/{area}/actions/?sort=title").get_data(as_text=True)
    assert f'href="/areas/{area}/actions/?page=2&amp;sort=title"' in by_title  # the choice carries over
    filtered = client.get(f"/areas/{area}/actions/?status=in_progress").get_data(as_text=True)
    count = int(re.search(r"(\d+) actions? match", filtered).group(1))
    assert 0 < count <= 50 and len(_action_ids(filtered)) == count and 'id="plan-pages"' not in filtered
