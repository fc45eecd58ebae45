"""Callback crypto against the published WeCom / WeChat vectors, and every way
a callback is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.channels.wechat.crypto import CallbackCrypto, CallbackRejected, signature
from bot.channels.wechat.settings import WeChatSettings

VECTORS = Path(__file__).parent / "data" / "wechat_vectors"


def vectors(*kinds: str) -> list[Any]:
    found = []
    for path in sorted(VECTORS.glob("*.json")):
        data = json.loads(path.read_text("utf-8"))
        if data["kind"] in kinds:
            found.append(pytest.param(data, id=path.stem))
    return found


def crypto_for(vector: dict[str, Any], **kwargs: Any) -> CallbackCrypto:
    receive_id = vector.get("corp_id") or vector["appid"]
    at = float(vector["timestamp"])
    return CallbackCrypto(
        vector["token"], vector["encoding_aes_key"], receive_id, now=lambda: at, **kwargs
    )


def test_every_vector_file_is_used() -> None:
    used = {
        "wecom_verify_url",
        "wecom_message_decrypt",
        "official_account_message_decrypt",
        "wecom_json_message_decrypt",
        "wecom_message_encrypt_deterministic",
        "plain_signature",
    }
    kinds = {json.loads(p.read_text("utf-8"))["kind"] for p in VECTORS.glob("*.json")}
    assert kinds == used


@pytest.mark.parametrize("vector", vectors("wecom_verify_url"))
def test_verify_url(vector: dict[str, Any]) -> None:
    echo = crypto_for(vector).verify_url(
        vector["msg_signature"], vector["timestamp"], vector["nonce"], vector["echostr"]
    )
    assert echo and echo.isprintable()


@pytest.mark.parametrize(
    "vector", vectors("wecom_message_decrypt", "official_account_message_decrypt")
)
def test_open_decrypts_to_a_flat_dict(vector: dict[str, Any]) -> None:
    message = crypto_for(vector).open(
        vector["msg_signature"],
        vector["timestamp"],
        vector["nonce"],
        vector["post_body"].encode("utf-8"),
    )
    assert message["MsgType"]
    assert message["ToUserName"]
    assert all(isinstance(value, str) for value in message.values())


def test_wechatpy_vector_content() -> None:
    vector = json.loads((VECTORS / "wechatpy_tests_wecom_decrypt.json").read_text("utf-8"))
    message = crypto_for(vector).open(
        vector["msg_signature"], vector["timestamp"], vector["nonce"], vector["post_body"].encode()
    )
    assert message["Content"] == "test"
    assert message["FromUserName"] == "messense"
    assert message["ToUserName"] == "wx49f0ab532d5d035a"


@pytest.mark.parametrize("vector", vectors("wecom_json_message_decrypt"))
def test_json_format_ciphertext_decrypts(vector: dict[str, Any]) -> None:
    """The JSON envelope (robots) uses the same cipher; its plaintext is broken upstream."""
    encrypted = json.loads(vector["post_body"])["encrypt"]
    plaintext = crypto_for(vector).decrypt(
        vector["msg_signature"], vector["timestamp"], vector["nonce"], encrypted
    )
    assert plaintext.lstrip().startswith("{")


@pytest.mark.parametrize("vector", vectors("wecom_message_encrypt_deterministic"))
def test_encrypt_matches_the_fixed_random_vector(
    vector: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from wechatpy.work.crypto import PrpCrypto

    monkeypatch.setattr(PrpCrypto, "get_random_string", lambda self: vector["random_16"])
    crypto = crypto_for(vector)
    msg_signature, encrypted = crypto.encrypt(
        vector["plaintext"], vector["timestamp"], vector["nonce"]
    )
    assert f"<Encrypt><![CDATA[{encrypted}]]></Encrypt>" in vector["expected"]
    assert f"<MsgSignature><![CDATA[{msg_signature}]]></MsgSignature>" in vector["expected"]


@pytest.mark.parametrize("vector", vectors("plain_signature"))
def test_plain_signature(vector: dict[str, Any]) -> None:
    assert signature(vector["token"], vector["timestamp"], vector["nonce"]) == vector["signature"]


# -- refusals --------------------------------------------------------------------
WECOM = json.loads((VECTORS / "wecom_py_sample_decrypt.json").read_text("utf-8"))


def open_wecom(crypto: CallbackCrypto, **override: Any) -> dict[str, str]:
    args = {
        "msg_signature": WECOM["msg_signature"],
        "timestamp": WECOM["timestamp"],
        "nonce": WECOM["nonce"],
        "body": WECOM["post_body"].encode(),
        **override,
    }
    return crypto.open(**args)


def rejected(call: Any) -> CallbackRejected:
    with pytest.raises(CallbackRejected) as caught:
        call()
    assert WECOM["token"] not in caught.value.reason
    assert WECOM["encoding_aes_key"] not in caught.value.reason
    return caught.value


def test_forged_signature_is_403() -> None:
    crypto = crypto_for(WECOM)
    forged = WECOM["msg_signature"][:-1] + ("0" if WECOM["msg_signature"][-1] != "0" else "1")
    error = rejected(lambda: open_wecom(crypto, msg_signature=forged))
    assert (error.status, error.reason) == (403, "signature mismatch")
    assert rejected(lambda: open_wecom(crypto, msg_signature="")).status == 403
    assert rejected(lambda: open_wecom(crypto, nonce="1")).status == 403


@pytest.mark.parametrize("offset", [-301, 301, 86400])
def test_stale_or_future_timestamp_is_403(offset: int) -> None:
    at = int(WECOM["timestamp"]) + offset
    crypto = CallbackCrypto(
        WECOM["token"], WECOM["encoding_aes_key"], WECOM["corp_id"], now=lambda: at
    )
    error = rejected(lambda: open_wecom(crypto))
    assert error.status == 403 and "clock" in error.reason


def test_within_the_skew_is_accepted() -> None:
    at = int(WECOM["timestamp"]) + 299
    crypto = CallbackCrypto(
        WECOM["token"], WECOM["encoding_aes_key"], WECOM["corp_id"], now=lambda: at
    )
    assert open_wecom(crypto)["ToUserName"]


def test_replay_is_403_until_the_window_passes() -> None:
    clock = [float(WECOM["timestamp"])]
    crypto = CallbackCrypto(
        WECOM["token"], WECOM["encoding_aes_key"], WECOM["corp_id"], now=lambda: clock[0]
    )
    assert open_wecom(crypto)
    error = rejected(lambda: open_wecom(crypto))
    assert error.status == 403 and "replay" in error.reason
    clock[0] += 301  # by then the same request is refused as stale instead
    assert "clock" in rejected(lambda: open_wecom(crypto)).reason


def test_wrong_receive_id_is_refused() -> None:
    crypto = CallbackCrypto(
        WECOM["token"],
        WECOM["encoding_aes_key"],
        "ww_someone_else",
        now=lambda: float(WECOM["timestamp"]),
    )
    error = rejected(lambda: open_wecom(crypto))
    assert error.status == 403 and "receive id" in error.reason


def signed(crypto: CallbackCrypto, encrypted: str, timestamp: str, nonce: str = "n") -> str:
    return signature(WECOM["token"], timestamp, nonce, encrypted)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml at all",
        b"<xml><ToUserName>x</ToUserName></xml>",
        b'<!DOCTYPE x [<!ENTITY a "b">]><xml><Encrypt>&a;</Encrypt></xml>',
        b"<xml><Encrypt>" + b"A" * 70000 + b"</Encrypt></xml>",
    ],
)
def test_malformed_body_is_400(body: bytes) -> None:
    crypto = crypto_for(WECOM)
    assert rejected(lambda: open_wecom(crypto, body=body)).status == 400


@pytest.mark.parametrize(
    "encrypted", ["not base64 !!", "QUJD", "A" * 44, "QUJDREVGR0hJSktMTU5PUA=="]
)
def test_garbage_ciphertext_with_a_valid_signature_is_400(encrypted: str) -> None:
    crypto = crypto_for(WECOM)
    timestamp = WECOM["timestamp"]
    msg_signature = signed(crypto, encrypted, timestamp)
    body = f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode()
    error = rejected(lambda: crypto.open(msg_signature, timestamp, "n", body))
    assert error.status in (400, 403)
    assert error.status == 400 or "receive id" in error.reason


def test_non_numeric_timestamp_is_400() -> None:
    crypto = crypto_for(WECOM)
    encrypted = "QUJD"
    error = rejected(
        lambda: crypto.decrypt(signed(crypto, encrypted, "soon"), "soon", "n", encrypted)
    )
    assert error.status == 400


def test_round_trip_through_encrypt() -> None:
    crypto = crypto_for(WECOM)
    plaintext = "<xml><MsgType><![CDATA[event]]></MsgType><Event>kf_msg_or_event</Event></xml>"
    msg_signature, encrypted = crypto.encrypt(plaintext, WECOM["timestamp"], "abc")
    body = f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode()
    assert crypto.open(msg_signature, WECOM["timestamp"], "abc", body) == {
        "MsgType": "event",
        "Event": "kf_msg_or_event",
    }


# -- settings --------------------------------------------------------------------
def kf(**values: Any) -> dict[str, Any]:
    base = {
        "corp_id": "ww1",
        "secret": "s",
        "token": "t",
        "encoding_aes_key": WECOM["encoding_aes_key"],
    }
    return {"kf": {**base, **values}}


def test_settings_defaults_are_unconfigured() -> None:
    settings = WeChatSettings()
    assert not settings.configured
    assert settings.api_base_url == "https://qyapi.weixin.qq.com"
    assert settings.max_clock_skew == 300
    assert settings.kf.callback_path == "/wechat/kf"


def test_settings_complete_is_configured() -> None:
    settings = WeChatSettings(**kf(open_kfid="wk1"), api_base_url="http://127.0.0.1:9/")
    assert settings.configured and settings.kf.open_kfid == "wk1"
    assert settings.api_base_url == "http://127.0.0.1:9"
    assert WECOM["encoding_aes_key"] not in repr(settings)


@pytest.mark.parametrize("key", ["A" * 42, "A" * 44, "!" * 43, "A" * 41 + "=="])
def test_bad_aes_key_is_one_clear_message(key: str) -> None:
    with pytest.raises(ValidationError) as caught:
        WeChatSettings(**kf(encoding_aes_key=key))
    (error,) = caught.value.errors()
    assert error["loc"] == ("kf", "encoding_aes_key")
    assert "EncodingAESKey" in error["msg"]
    assert "AssertionError" not in str(caught.value)


def test_partly_configured_names_the_missing_keys() -> None:
    with pytest.raises(ValidationError) as caught:
        WeChatSettings(kf={"corp_id": "ww1", "token": "t"})
    (error,) = caught.value.errors()
    assert "kf.secret" in error["msg"] and "kf.encoding_aes_key" in error["msg"]
    assert "kf.token" not in error["msg"]


def test_unknown_key_is_refused() -> None:
    with pytest.raises(ValidationError):
        WeChatSettings(kf={"corpid": "ww1"})
