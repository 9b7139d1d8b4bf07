"""The fake Discord itself, spoken to with plain HTTP and a WebSocket: it must be as strict
as Discord where a bot can get things wrong, or the adapter tests prove nothing."""

from __future__ import annotations

import json
import zlib
from typing import Any

import aiohttp
import pytest

from tests.fakes.discord import DEFERRED, MESSAGE, FakeDiscord, Interaction

COMMAND = {
    "name": "dispute",
    "description": "Sort out a problem with an order",
    "contexts": [0, 1],
    "options": [
        {"type": 1, "name": "new", "description": "Open a new case"},
        {
            "type": 1,
            "name": "remind",
            "description": "Set a reminder",
            "options": [
                {"type": 3, "name": "when", "description": "When", "required": True},
                {"type": 3, "name": "what", "description": "What"},
            ],
        },
    ],
}


class Gateway:
    """A bare gateway client: zlib-stream frames in, JSON text out."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.inflate = zlib.decompressobj()

    async def receive(self) -> dict[str, Any]:
        frame = await self.ws.receive(timeout=5)
        assert frame.type is aiohttp.WSMsgType.BINARY, frame
        assert frame.data.endswith(b"\x00\x00\xff\xff"), "each message ends a zlib-stream flush"
        return json.loads(self.inflate.decompress(frame.data))

    async def send(self, op: int, data: Any) -> None:
        await self.ws.send_str(json.dumps({"op": op, "d": data}))


@pytest.fixture
async def fake() -> Any:
    async with FakeDiscord() as service:
        yield service


@pytest.fixture
async def http(fake: FakeDiscord) -> Any:
    headers = {"Authorization": f"Bot {fake.token}"}
    async with aiohttp.ClientSession(fake.api_base + "/", headers=headers) as session:
        yield session


async def connect(fake: FakeDiscord, http: aiohttp.ClientSession, intents: int = 1) -> Gateway:
    ws = await http.ws_connect(f"{fake.gateway_url}?v=10&encoding=json&compress=zlib-stream")
    gateway = Gateway(ws)
    hello = await gateway.receive()
    assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] > 0
    await gateway.send(2, {"token": fake.token, "intents": intents, "properties": {}})
    return gateway


@pytest.fixture
async def online(fake: FakeDiscord, http: aiohttp.ClientSession) -> Any:
    """A bot with /dispute registered and a live gateway session (kept open while in use)."""
    async with http.put(f"applications/{fake.application_id}/commands", json=[COMMAND]) as reply:
        assert reply.status == 200
    gateway = await connect(fake, http)
    await fake.wait(lambda: fake.identified == 1)
    yield gateway


async def ask(fake: FakeDiscord) -> Interaction:
    return await fake.slash(fake.person("ana"), fake.general, "new")


async def callback(
    http: aiohttp.ClientSession, asked: Interaction, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    path = f"interactions/{asked.id}/{asked.token}/callback?with_response=1"
    async with http.post(path, json=body) as reply:
        return reply.status, await reply.json()


async def test_the_gateway_says_hello_then_ready_then_the_guild(fake, http) -> None:
    gateway = await connect(fake, http)
    ready = await gateway.receive()
    assert (ready["op"], ready["t"], ready["s"]) == (0, "READY", 1)
    assert ready["d"]["user"]["id"] == fake.bot["id"]
    assert ready["d"]["resume_gateway_url"].startswith("ws://127.0.0.1:")
    guild = await gateway.receive()
    assert (guild["t"], guild["s"], guild["d"]["id"]) == ("GUILD_CREATE", 2, str(fake.guild_id))
    await gateway.send(1, 2)
    assert (await gateway.receive())["op"] == 11


async def test_without_the_guilds_intent_no_guild_arrives(fake, http) -> None:
    gateway = await connect(fake, http, intents=0)
    assert (await gateway.receive())["t"] == "READY"
    await gateway.send(1, 1)
    assert (await gateway.receive())["op"] == 11


async def test_a_wrong_token_closes_the_gateway_and_rest_needs_the_token(fake, http) -> None:
    ws = await http.ws_connect(fake.gateway_url)
    await ws.receive(timeout=5)
    await ws.send_str(json.dumps({"op": 2, "d": {"token": "wrong", "intents": 0}}))
    await ws.receive(timeout=5)
    assert ws.close_code == 4004
    async with (
        aiohttp.ClientSession() as stranger,
        stranger.get(f"{fake.api_base}/users/@me") as reply,
    ):
        assert reply.status == 401


async def test_one_callback_per_interaction(fake, http, online) -> None:
    asked = await ask(fake)
    status, _ = await callback(http, asked, {"type": MESSAGE, "data": {"content": "hi"}})
    assert status == 200
    status, error = await callback(http, asked, {"type": MESSAGE, "data": {"content": "again"}})
    assert (status, error["code"]) == (400, 40060)
    assert [m.content for m in asked.messages] == ["hi"]


async def test_a_callback_after_the_deadline_is_unknown(fake, http, online) -> None:
    fake.ack_deadline = 0.0
    asked = await ask(fake)
    status, error = await callback(http, asked, {"type": DEFERRED, "data": {"flags": 64}})
    assert (status, error["code"]) == (404, 10062)
    assert not asked.acknowledged


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"content": "x" * 2001}, 50035),
        ({"content": "rows", "components": [{"type": 1, "components": [{"type": 2, "style": 2, "label": "b", "custom_id": f"b{i}"}]} for i in range(6)]}, 50035),
        ({"content": "wide", "components": [{"type": 1, "components": [{"type": 2, "style": 2, "label": "b", "custom_id": f"b{i}"} for i in range(6)]}]}, 50035),
        ({"content": "twins", "components": [{"type": 1, "components": [{"type": 2, "style": 2, "label": "b", "custom_id": "same"}] * 2}]}, 50035),
        ({"content": "long id", "components": [{"type": 1, "components": [{"type": 2, "style": 2, "label": "b", "custom_id": "x" * 101}]}]}, 50035),
        ({}, 50006),
    ],
    ids=["2001 characters", "6 rows", "6 in a row", "same custom id", "custom id over 100", "empty"],
)  # fmt: skip
async def test_messages_past_discords_limits_are_refused(fake, http, online, data, code) -> None:
    asked = await ask(fake)
    status, error = await callback(http, asked, {"type": MESSAGE, "data": data})
    assert (status, error["code"]) == (400, code)
    assert not asked.acknowledged


async def test_follow_ups_need_an_acknowledged_interaction_and_edits_end_the_loading(
    fake, http, online
) -> None:
    asked = await ask(fake)
    webhook = f"webhooks/{fake.application_id}/{asked.token}"
    async with http.post(f"{webhook}?wait=true", json={"content": "early"}) as reply:
        assert (reply.status, (await reply.json())["code"]) == (404, 10015)
    await callback(http, asked, {"type": DEFERRED, "data": {"flags": 64}})
    assert asked.original is not None and asked.original.loading and asked.original.ephemeral
    async with http.patch(f"{webhook}/messages/@original", json={"content": "done"}) as reply:
        assert reply.status == 200
    async with http.post(f"{webhook}?wait=true", json={"content": "more", "flags": 64}) as reply:
        assert reply.status == 200
    assert [(m.content, m.loading, m.ephemeral) for m in asked.messages] == [
        ("done", False, True),
        ("more", False, True),
    ]


async def test_commands_are_checked_when_synced(fake, http) -> None:
    bad = {**COMMAND, "name": "Dispute Now"}
    async with http.put(f"applications/{fake.application_id}/commands", json=[bad]) as reply:
        assert (reply.status, (await reply.json())["code"]) == (400, 50035)
    optional_first = {
        **COMMAND,
        "options": [{**COMMAND["options"][1], "options": COMMAND["options"][1]["options"][::-1]}],
    }
    path = f"applications/{fake.application_id}/commands"
    async with http.put(path, json=[optional_first]) as reply:
        assert reply.status == 400
    assert fake.commands == {}


async def test_dms_open_once_per_person_and_take_messages(fake, http) -> None:
    ana = fake.person("ana")
    async with http.post("users/@me/channels", json={"recipient_id": ana["id"]}) as reply:
        channel = await reply.json()
    assert channel == fake.dm(ana)
    async with http.post(f"channels/{channel['id']}/messages", json={"content": "ping"}) as reply:
        assert reply.status == 200
    async with http.post("channels/1/messages", json={"content": "lost"}) as reply:
        assert (await reply.json())["code"] == 10003
    assert [m.content for m in fake.channel_messages] == ["ping"]
    fake.rejections.clear()
