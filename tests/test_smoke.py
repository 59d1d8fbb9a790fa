from tests.conftest import login


def test_login_and_home(client, world):
    area = world.area()
    user = world.user("board@example.org", area, "board_manager")
    login(client, user)
    response = client.get("/", follow_redirects=True)
    assert response.status_code == 200
    assert "Riverside" in response.get_data(as_text=True)
