"""The ``[wechat]`` section: where WeCom's API is, the 微信客服 account's keys and the
Official Account's.

Values are checked when the config is loaded, so a wrong key is one line naming
it rather than a crash at the first callback.
"""

from __future__ import annotations

import base64
import binascii

from pydantic import Field, SecretStr, field_validator, model_validator

from handlers.config import Section, TextList

#: WeCom's EncodingAESKey: 43 characters, base64 of 32 bytes without the final ``=``.
AES_KEY_LENGTH = 43
#: Platforms whose members are reached one to one (微信客服, the Official Account): no
#: chat there can be the staff desk.
ONE_TO_ONE_PLATFORMS = frozenset({"wechat", "wechat_oa"})


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


class KfSettings(Section):
    """One WeCom corp's 微信客服 app: the API secret and the callback keys."""

    corp_id: str = ""
    #: The secret of the app allowed to call 微信客服 APIs (not the corp's contacts secret).
    secret: SecretStr | None = None
    #: The callback Token set next to the callback URL.
    token: SecretStr | None = None
    encoding_aes_key: SecretStr | None = None
    #: Which 客服账号 to serve; empty: every account of the corp.
    open_kfid: str = ""
    callback_path: str = "/wechat/kf"

    @field_validator("encoding_aes_key")
    @classmethod
    def _aes_key(cls, value: SecretStr | None) -> SecretStr | None:
        return _check_aes_key(value)

    @field_validator("callback_path")
    @classmethod
    def _path(cls, value: str) -> str:
        return _check_path(value)

    @model_validator(mode="after")
    def _complete_or_empty(self) -> KfSettings:
        present = self._present()
        missing = [name for name, here in present.items() if not here]
        if any(present.values()) and missing:
            raise ValueError(
                "the 微信客服 keys are partly set; also set "
                + ", ".join(f"wechat.kf.{m}" for m in missing)
            )
        return self

    def _present(self) -> dict[str, bool]:
        return {
            "corp_id": bool(self.corp_id),
            "secret": bool(_secret(self.secret)),
            "token": bool(_secret(self.token)),
            "encoding_aes_key": bool(_secret(self.encoding_aes_key)),
        }

    @property
    def configured(self) -> bool:
        return all(self._present().values())


class OaSettings(Section):
    """The Official Account (服务号): its AppID and AppSecret, and the callback's keys
    (``aes_key`` only in 安全模式, where callbacks are encrypted)."""

    app_id: str = ""
    secret: SecretStr | None = None
    token: SecretStr | None = None
    #: EncodingAESKey; set it when the account's 消息加解密方式 is 安全模式 or 兼容模式.
    aes_key: SecretStr | None = None
    api_base_url: str = "https://api.weixin.qq.com/cgi-bin/"
    callback_path: str = "/wechat/oa"

    @field_validator("aes_key")
    @classmethod
    def _aes_key(cls, value: SecretStr | None) -> SecretStr | None:
        return _check_aes_key(value)

    @field_validator("callback_path")
    @classmethod
    def _path(cls, value: str) -> str:
        return _check_path(value)

    @field_validator("api_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(
                "must start with http:// or https:// (example: https://api.weixin.qq.com/cgi-bin/)"
            )
        return value.rstrip("/") + "/"

    @model_validator(mode="after")
    def _complete_or_empty(self) -> OaSettings:
        present = {
            "app_id": bool(self.app_id),
            "secret": bool(_secret(self.secret)),
            "token": bool(_secret(self.token)),
        }
        missing = [name for name, here in present.items() if not here]
        if (any(present.values()) or _secret(self.aes_key)) and missing:
            raise ValueError(
                "the Official Account keys are partly set; also set "
                + ", ".join(f"wechat.oa.{m}" for m in missing)
            )
        return self

    @property
    def configured(self) -> bool:
        return bool(self.app_id and _secret(self.secret) and _secret(self.token))


class WeChatSettings(Section):
    api_base_url: str = "https://qyapi.weixin.qq.com"
    #: How far a callback's timestamp may be from our clock before it is refused.
    max_clock_skew: int = Field(300, ge=1)
    kf: KfSettings = Field(default_factory=KfSettings)
    oa: OaSettings = Field(default_factory=OaSettings)

    @field_validator("api_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(
                "must start with http:// or https:// (example: https://qyapi.weixin.qq.com)"
            )
        return value.rstrip("/")

    @property
    def configured(self) -> bool:
        return self.kf.configured or self.oa.configured


def _check_aes_key(value: SecretStr | None) -> SecretStr | None:
    key = _secret(value)
    if not key:
        return value
    if len(key) != AES_KEY_LENGTH:
        raise ValueError(
            f"must be exactly {AES_KEY_LENGTH} characters (it has {len(key)}); "
            "copy EncodingAESKey from the callback settings again"
        )
    try:
        raw = base64.b64decode(key + "=", validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ValueError(
            "is not base64 of 32 bytes (letters, digits, + and / only); "
            "copy EncodingAESKey from the callback settings again"
        )
    return value


def _check_path(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError(f"must start with / (example: /wechat/kf), not {value!r}")
    return value


class WeComAppSettings(Section):
    """``[wecom]``: a WeCom self-built app (自建应用) that carries the staff desk. Its
    rooms are ``wecom:staff`` and ``wecom:leads`` (set ``staff.chat`` to one): a notice
    to a room is an app message to the people listed for it."""

    corp_id: str = ""
    agent_id: int = 0
    secret: SecretStr | None = None
    token: SecretStr | None = None
    aes_key: SecretStr | None = None
    #: WeCom user ids (帐号) who get the staff room's notices and may work tickets.
    staff: TextList = ()
    #: Who gets the leads room's notices (crises, missed targets); the staff when empty.
    leads: TextList = ()
    #: A group robot's key: leads notices are also posted in that internal group.
    robot_key: SecretStr | None = None
    #: The 入群欢迎语 of customer groups, kept as a WeCom template (empty: leave it alone).
    #: Point newcomers to your 微信客服 link there: that is where Shequn can talk to them.
    group_welcome: str = ""
    #: How often owner-confirmed group posts are read back (seconds).
    task_check_seconds: int = Field(300, ge=1)
    callback_path: str = "/wecom/app"

    @field_validator("aes_key")
    @classmethod
    def _aes_key(cls, value: SecretStr | None) -> SecretStr | None:
        return _check_aes_key(value)

    @field_validator("callback_path")
    @classmethod
    def _path(cls, value: str) -> str:
        return _check_path(value)

    @model_validator(mode="after")
    def _complete_or_empty(self) -> WeComAppSettings:
        present = {
            "corp_id": bool(self.corp_id),
            "agent_id": bool(self.agent_id),
            "secret": bool(_secret(self.secret)),
            "token": bool(_secret(self.token)),
            "aes_key": bool(_secret(self.aes_key)),
            "staff": bool(self.staff),
        }
        missing = [name for name, here in present.items() if not here]
        if any(present.values()) and missing:
            raise ValueError(
                "the WeCom app keys are partly set; also set "
                + ", ".join(f"wecom.{m}" for m in missing)
            )
        return self

    @property
    def configured(self) -> bool:
        return bool(self.corp_id and self.agent_id and _secret(self.secret) and self.staff)

    def people(self, room: str) -> list[str]:
        """Who gets a room's notices."""
        return list(self.leads or self.staff) if room == "leads" else list(self.staff)
