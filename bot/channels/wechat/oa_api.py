"""The Official Account's API (``api.weixin.qq.com/cgi-bin/``) through wechatpy.

Only what the channel needs: the access token (shared by replicas like WeCom's),
a check of the keys at start, and 客服消息 (``message/custom/send``), the one way
to write to a member outside a passive reply.
"""

from __future__ import annotations

from typing import Any

from wechatpy import WeChatClient

from bot.channels.wechat.api import JSON, TokenedApi, TokenStore, token_for_call

#: ``message/custom/send`` outside the member's window: 48 h passed (or they left) and
#: the messages the window allows are spent. Final: a retry cannot succeed.
OUT_OF_TIME = 45015
OUT_OF_COUNT = 45047
#: The member does not follow the account (any more).
NOT_FOLLOWING = 43004
#: What the start check explains, and the setting to fix (None: fixed in WeChat's console).
KEY_HINTS: dict[int, tuple[str, str | None]] = {
    40001: ("the AppSecret is wrong: set {setting}", "wechat.oa.secret"),
    40125: ("the AppSecret is wrong: set {setting}", "wechat.oa.secret"),
    40013: ("the AppID is wrong: set {setting}", "wechat.oa.app_id"),
    40164: (
        "this server's IP address is not on the account's IP whitelist "
        "(公众号后台 → 设置与开发 → 基本配置 → IP白名单)",
        None,
    ),
}


class _Client(WeChatClient):
    """wechatpy's Official Account client aimed at a configurable base URL, with the
    token of the current call instead of its own cache."""

    def __init__(self, app_id: str, secret: str, base_url: str, timeout: float) -> None:
        super().__init__(app_id, secret, timeout=timeout, auto_retry=False)
        self.API_BASE_URL = base_url

    @property
    def access_token(self) -> str:
        return token_for_call()

    def fetch_access_token(self) -> JSON:
        return self._fetch_access_token(
            url=f"{self.API_BASE_URL}token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


class OfficialAccountApi(TokenedApi):
    service = "Official Account API"
    base_setting = "wechat.oa.api_base_url"

    def __init__(
        self,
        app_id: str,
        secret: str,
        tokens: TokenStore,
        *,
        api_base_url: str = "https://api.weixin.qq.com/cgi-bin/",
        timeout: float = 10.0,
        **options: Any,
    ) -> None:
        base = api_base_url.rstrip("/") + "/"
        super().__init__(_Client(app_id, secret, base, timeout), tokens, base, **options)

    async def callback_ips(self) -> list[str]:
        """WeChat's callback addresses: a cheap call that proves the keys work."""
        return list((await self._call("getcallbackip", "get", {})).get("ip_list", []))

    async def send_custom(self, openid: str, kind: str, content: JSON) -> None:
        """A 客服消息 to a member (``text`` or ``msgmenu``), inside their window."""
        await self._call(
            "message/custom/send", "post", {"touser": openid, "msgtype": kind, kind: content}
        )
