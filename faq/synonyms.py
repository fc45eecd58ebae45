"""Default synonym groups for community and product talk (first word is canonical).

Members say 软件 or 应用 or app for the same thing, and ask in English about a
Chinese entry. Operators extend this with ``[faq] synonyms`` in the config.
"""

from __future__ import annotations

DEFAULT_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("app", "应用", "软件", "客户端", "application"),
    ("下载", "下栽", "download", "安装", "装到"),
    ("登录", "登陆", "登入", "登进", "login", "log in", "sign in"),
    ("账号", "帐号", "账户", "帐户", "account"),
    ("密码", "password", "pwd"),
    ("积分", "分数", "points", "point"),
    ("签到", "打卡", "check in", "check-in", "checkin"),
    ("退款", "退钱", "refund"),
    ("优惠券", "券", "coupon", "满减券"),
    ("会员", "vip", "membership"),
    ("续费", "续订", "renew", "renewal"),
    ("直播", "live", "livestream", "live stream"),
    ("回放", "录播", "replay", "recording"),
    ("课程", "课", "course", "class"),
    ("课件", "讲义", "资料", "slides", "materials"),
    ("昵称", "暱称", "用户名", "nickname", "username"),
    ("头像", "avatar"),
    ("发票", "invoice"),
    ("邀请", "invite", "拉人"),
    ("链接", "link"),
    ("机器人", "bot"),
    ("命令", "指令", "command"),
    ("群规", "规则", "rules"),
    ("禁言", "被禁", "mute", "muted"),
    ("客服", "工作人员", "人工", "staff", "support"),
    ("活动", "event"),
    ("礼品", "奖品", "gift"),
    ("库存", "没货", "缺货", "sold out", "补货"),
    ("手机", "phone", "mobile"),
    ("设备", "device"),
    ("电脑", "pc", "computer", "desktop"),
    ("微信", "wechat", "weixin"),
    ("闪退", "崩溃", "crash"),
    ("更新", "升级", "update", "upgrade"),
    ("注销", "删除账号", "delete account"),
    ("评价", "好评", "review"),
    ("倍速", "2x", "speed"),
    # English communities' own ways of saying the same thing.
    ("join", "sign up", "signup", "register", "enrol", "enroll"),
    ("price", "cost", "fee", "fees"),
    ("deliver", "delivery", "ship", "shipping", "postage"),
    ("discount", "money off", "reduced rate", "concession"),
    ("bike", "bicycle"),
    ("email", "e-mail"),
)
