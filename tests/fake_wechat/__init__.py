"""A fake WeCom 微信客服 API server that fails the way WeCom does."""

from tests.fake_wechat.server import FakeWeCom, Sent

__all__ = ["FakeWeCom", "Sent"]
