"""WeChat through WeCom's 微信客服 (customer-service accounts): settings, callback
crypto and an async facade over wechatpy's WeCom client."""
