"""Fake WeChat servers that fail the way WeChat does: WeCom's 微信客服 API and an
Official Account."""

from tests.fake_wechat.oa_server import FakeOfficialAccount
from tests.fake_wechat.server import FakeWeCom, Sent

__all__ = ["FakeOfficialAccount", "FakeWeCom", "Sent"]
