"""The default complaint lexicon (Chinese and English): words that signal a
complaint, words that signal a crisis, and what softens or negates them.

Weights are points towards a complaint; operators add or override entries in
``[escalation]`` of the config.
"""

from __future__ import annotations

COMPLAINT: dict[str, float] = {
    # Chinese
    "投诉": 3.0, "举报": 3.0, "退款": 1.5, "退钱": 2.5, "退费": 2.0, "骗": 3.0, "骗子": 3.5,
    "骗人": 3.5, "欺骗": 3.5, "欺诈": 3.5, "诈骗": 3.5, "忽悠": 3.0, "坑": 2.0, "坑人": 3.0,
    "差评": 2.5, "垃圾": 3.0, "太差": 2.5, "很差": 2.5, "差劲": 2.5, "失望": 2.5, "无语": 2.0,
    "恶心": 2.5, "气死": 3.0, "受够": 3.0, "离谱": 2.5, "过分": 2.5, "黑心": 3.0,
    "虚假": 3.0, "乱扣": 3.0, "扣钱": 2.5, "多扣": 3.0, "扣了": 1.5, "重复扣费": 3.5,
    "没人理": 3.0, "没人回": 3.0, "没人管": 3.0, "不回复": 2.5, "不理": 2.0, "敷衍": 3.0,
    "打不开": 1.5, "闪退": 1.5, "卡死": 2.0, "用不了": 2.0, "又出问题": 2.5, "一直不行": 2.5,
    "解决不了": 2.5, "什么破": 3.0, "破课": 3.0, "智商税": 3.0, "退订": 1.5, "不值": 2.5,
    "浪费": 2.0, "生气": 2.5, "愤怒": 3.0, "坑钱": 3.5, "还钱": 3.0, "赔偿": 3.0,
    "到底": 1.0, "凭什么": 2.5, "搞什么": 2.5, "怎么回事": 1.5, "被扣": 2.5, "被坑": 3.5,
    "被骗": 3.5, "不靠谱": 2.5, "太慢": 2.0, "等了": 1.0,
    "不爽": 2.5, "烦": 2.0, "难受": 2.0, "心塞": 2.5, "难用": 2.5, "乱七八糟": 2.5, "好乱": 2.0,
    "卡得": 2.0, "太卡": 2.0, "卡顿": 2.0, "有点慢": 1.5, "错别字": 1.5, "有错": 1.5,
    "答非所问": 2.5, "踢皮球": 3.0, "说法": 2.0, "拉黑": 3.0, "天理": 3.0, "内定": 3.5,
    "误导": 3.0, "不用心": 2.5, "没上期": 1.5, "迟到": 2.0, "念ppt": 2.0, "听不懂": 2.0,
    "做不完": 1.5, "没法用": 2.5, "失效": 2.0, "清零": 2.0, "莫名其妙": 2.5, "丢了": 2.0,
    "全丢": 3.0, "拖": 1.5, "发火": 3.0, "一直": 1.0, "每次": 1.0, "第三次": 1.0, "第五次": 1.0,
    "五次": 1.0, "好几个人": 2.0, "不止我一个": 2.5, "管不管": 3.0, "广告太多": 2.5,
    "管管": 2.0, "贵了": 2.0, "涨价": 2.0, "算什么": 2.5, "根本没": 2.0, "扣款": 2.0,
    "没到账": 2.5, "没到": 1.5, "刺眼": 2.0, "眼睛疼": 2.0, "看不了": 2.5, "无效": 2.0,
    "靠谱点": 2.5, "必须": 1.0, "还没": 1.0, "难听": 2.0, "太吵": 2.0, "不合理": 2.5,
    "不公平": 3.0, "坑爹": 3.0, "糊弄": 3.0, "退不了": 3.0, "不给退": 3.5, "要求退": 2.5,
    "没用": 2.0, "骂": 2.0, "吐槽": 2.0, "不满": 2.5, "崩了": 2.5, "挂了": 1.5, "黑屏": 2.0,
    "没反应": 2.0, "垃圾服务": 3.5, "麻烦死": 2.5, "不满意": 2.5,
    "退群": 1.5, "再也不": 3.0, "上当": 3.5, "不退": 2.5, "骗钱": 3.5, "不耐烦": 2.5,
    "骂骂咧咧": 2.5, "要求退款": 2.5,
    # Common complaint phrasing: service, delays, money, access
    "态度差": 2.5, "态度很差": 2.5, "态度恶劣": 3.0, "恶劣": 1.5, "服务差": 2.5, "质量差": 2.5,
    "好差": 2.5, "真差": 2.5, "超差": 2.5, "太烂": 2.5, "很烂": 2.5, "难吃": 1.5, "好慢": 1.5,
    "很慢": 1.5, "慢死": 2.5, "没人处理": 3.0, "不处理": 2.5, "没解决": 2.0, "不解决": 2.5,
    "推诿": 3.0, "推脱": 2.5, "甩锅": 3.0, "扯皮": 3.0, "耍人": 3.0, "耍我": 3.0, "套路": 1.5,
    "圈钱": 3.5, "乱收费": 3.5, "跑路": 3.5, "霸王条款": 3.5, "不通知": 2.0,
    "不提醒": 2.0, "登不上": 2.0, "登录不了": 2.0, "进不去": 2.0, "收不到": 1.5, "没收到": 1.5,
    "掉线": 1.5, "报错": 1.5, "故障": 1.5, "不像话": 3.0, "不讲信誉": 3.0, "太贵": 1.5,
    "退不回": 3.0, "不给退款": 3.5, "没有回复": 2.5, "不回消息": 2.5, "联系不上": 2.5,
    "太水": 2.0, "水课": 2.5, "不专业": 2.5, "没诚意": 2.5, "服了": 2.0,
    "白交": 2.5, "白花": 1.5, "不值当": 2.0, "货不对板": 3.0, "与描述不符": 3.0, "缩水": 1.5,
    "擅自": 2.5, "强制": 1.5, "自动扣费": 2.5, "没通知": 2.0, "不提前通知": 2.5, "说好的": 1.5,
    "失联": 2.5, "找不到人": 2.0, "没人接": 1.5, "打不通": 1.5, "不给解决": 3.0, 
    "推来推去": 3.0, "总是": 1.0, "老是": 1.0, "天天": 1.0, "动不动": 1.0, "屡次": 1.0, "多次": 1.0,
    "反复": 1.0,
    # English
    "complain": 3.0, "complaint": 3.0, "refund": 1.5, "scam": 3.5, "scammer": 3.5,
    "scammed": 3.5, "fraud": 3.5, "cheated": 3.5, "rip-off": 3.0, "ripoff": 3.0,
    "terrible": 2.5, "awful": 2.5, "worst": 2.5, "horrible": 2.5, "useless": 2.5,
    "disappointed": 2.5, "disappointing": 2.5, "ridiculous": 2.5, "unacceptable": 3.0,
    "angry": 2.5, "furious": 3.0, "fed up": 3.0, "waste": 2.0, "broken": 1.5,
    "crashes": 1.5, "crashing": 1.5, "charged twice": 3.5, "overcharged": 3.5,
    "no one replies": 3.0, "nobody replies": 3.0, "no response": 2.5, "ignored": 2.5,
    "money back": 2.5, "still not": 1.5, "again": 0.5, "garbage": 3.0, "trash": 2.5,
    "joke": 1.0, "never again": 3.0, "misleading": 3.0, "lied": 3.0,
    "annoying": 2.5, "confusing": 2.0, "can't find": 1.5, "hard to": 1.5, "tedious": 2.5,
    "late": 1.5, "nobody explained": 2.5, "out of sync": 2.0, "distracting": 1.5,
    "buffering": 2.0, "cheap": 1.5, "thinner": 2.0, "rigged": 3.5, "theft": 3.5,
    "charged me": 3.0, "can't access": 3.0, "fix this": 2.5, "every day": 1.0,
    "every single day": 1.5, "third time": 1.0, "fourth time": 1.0, "fifth time": 1.0,
    "billing error": 2.5,
    "still waiting": 2.5, "meh": 1.5, "unreadable": 2.5,
    "not working": 2.5, "doesn't work": 2.5, "stopped working": 2.5, "frustrating": 2.5,
    "frustrated": 2.5, "slow": 1.5, "lost": 1.5, "gone": 1.0, "wrong": 1.5, "error": 1.0,
    "sucks": 3.0, "hate": 2.5, "bad": 1.0, "poor": 2.0, "mess": 2.0, "fake": 3.0,
    "nobody": 1.0, "no one": 1.0, "demand": 1.5, "cancel": 1.0, "spam": 2.0, "too many": 1.5,
    "pay for": 1.0, "paid for": 1.0, "visible to everyone": 3.0, "without my": 2.0,
    "won't load": 2.0, "doesn't load": 2.0, "can't load": 2.0, "won't open": 2.0,
    "rude": 2.5, "unprofessional": 2.5, "overpriced": 2.5, "not worth": 2.5, "unfair": 2.5,
    "buggy": 2.0, "keeps crashing": 2.5, "can't log in": 2.0, "cannot log in": 2.0,
    "no reply": 2.5, "no answer": 2.0, "never received": 2.5, "haven't received": 2.0,
    "waste of money": 3.0, "not happy": 2.5, "unhappy": 2.5, "upset": 2.0, "annoyed": 2.5,
    "disappeared": 2.0, "vanished": 2.0, "broke": 1.5, "cancelled": 1.5, "canceled": 1.5,
    "didn't show up": 2.0, "nobody told": 1.5, "no one told": 1.5, "without any reason": 2.0,
    "without notice": 2.0, "no explanation": 2.0, "typos": 1.5, "what is going on": 1.5,
    "what's going on": 1.5, "nobody answered": 2.5, "no one answered": 2.5,
    "nobody has answered": 2.5, "no one has answered": 2.5,
    "not okay": 2.0, "not ok": 2.0, "not acceptable": 3.0, "false advertising": 3.0,
    "promised": 1.5, "never delivered": 2.5, "still haven't": 2.0, "still no": 1.5,
    "still nothing": 2.0, "no update": 2.0, "been ignored": 2.5, "ignoring": 2.5,
    "keeps happening": 2.0, "happened again": 2.0, "lousy": 2.5, "sloppy": 2.5,
    "pathetic": 3.0, "disgusting": 3.0, "outrageous": 3.0, "shameful": 3.0, "misled": 3.0,
    "lied to": 3.0, "bait and switch": 3.5, "hidden fees": 3.0, "hidden fee": 3.0,
    "double charged": 3.5, "charged again": 3.0, "unauthorized": 3.0, "always": 1.0,
    "constantly": 1.0, "keeps": 1.0, "repeatedly": 1.0,
}  # fmt: skip

#: Words that turn a complaint into a crisis (legal, media, regulators, safety).
CRISIS: dict[str, float] = {
    "律师": 5.0, "起诉": 5.0, "法院": 5.0, "曝光": 5.0, "维权": 5.0, "12315": 5.0, "消协": 5.0,
    "媒体": 4.0, "记者": 4.0, "报警": 5.0, "警察": 4.0, "工商局": 5.0, "市场监管": 5.0,
    "泄露": 4.5, "泄漏": 4.5, "集体投诉": 5.0, "微博": 3.0, "发到网上": 4.5, "黑猫": 4.5,
    "lawyer": 5.0, "sue": 5.0, "lawsuit": 5.0, "legal action": 5.0, "press": 3.5,
    "media": 3.5, "journalist": 4.0, "police": 5.0, "regulator": 4.5, "class action": 5.0,
    "leaked": 4.5, "data leak": 5.0, "go public": 4.5, "going public": 4.5, "twitter": 3.0,
    "report you": 4.5, "reporting you": 4.5, "data protection": 4.5, "authority": 3.5,
    "consumer protection": 5.0, "投诉到": 4.0, "12345": 5.0, "网信办": 5.0, "人肉": 4.5,
    "维权群": 5.0, "律师函": 5.0, "侵犯隐私": 4.5, "受伤": 4.0,
}  # fmt: skip

#: Signs of harm that make a complaint serious (重大) rather than minor: money paid or
#: taken, or several people affected. Amounts ("1999元", "$299") and head counts
#: ("四个人", "six of us") are recognised by pattern as well.
HARM: tuple[str, ...] = (
    "花了", "付了钱", "付款", "收了钱", "花的钱", "钱白花", "白花钱", "扣费", "扣款", "扣了",
    "会员费", "年费", "学费", "充值", "交了钱", "我们这些", "我们宿舍", "大家都", "好几个人",
    "很多人", "不止我", "全班", "所有人",
    "paid", "charged", "billing", "money", "everyone", "we all", "all of us",
)  # fmt: skip

#: Words that soften what follows or mark contentment.
POSITIVE: dict[str, float] = {
    "谢谢": 1.5, "感谢": 1.5, "太棒": 2.5, "好评": 2.5, "点赞": 2.0, "喜欢": 1.5, "满意": 2.0,
    "解决了": 2.5, "辛苦": 1.5, "哈哈": 1.5, "笑死": 1.5, "开心": 1.5, "lol": 1.5,
    "haha": 1.5, "thanks": 1.5, "thank you": 1.5, "great": 2.0,
    "love": 2.0, "awesome": 2.5, "solved": 2.5, "works now": 2.5, "amazing": 2.5,
    "solid": 2.0, "really good": 2.0, "worth it": 1.5, "还好": 1.5, "不错": 1.5, "放心": 1.5,
    "挺好": 1.5,
    "很好": 1.5, "好吃": 1.5, "推荐": 1.5, "好用": 1.5, "很棒": 2.0, "给力": 2.0, "赞": 1.5,
    "干净": 1.0, "方便": 1.0, "舒服": 1.0, "热情": 1.0, "周到": 1.0, "实惠": 1.0, "划算": 1.0,
    "值得": 1.0, "nice": 1.5, "helpful": 2.0, "useful": 2.0, "recommend": 1.5,
}  # fmt: skip

#: A term right after one of these does not count (我不是要投诉, not a scam).
NEGATIONS = (
    "不是", "并不是", "并非", "没有被", "并没有", "无意", "不想", "不打算", "不会去",
    "不会让", "不再让", "没有让", "没让",
    "not", "no", "never", "don't", "isn't", "wasn't", "aren't", "used",
)  # fmt: skip

#: Moods and verdicts (烦, 失望, 气死, 太差, hate, terrible): they say how someone feels,
#: not what went wrong. They count only about something: next to another telling term,
#: or where the community's service is named (SERVICE). 下雨天真烦人 is no complaint.
MOODS: tuple[str, ...] = (
    "烦", "难受", "心塞", "失望", "生气", "愤怒", "气死", "无语", "恶心", "不爽", "受够", "发火",
    "太差", "很差", "好差", "真差", "超差", "太烂", "很烂", "差劲", "服了",
    "hate", "annoying", "angry", "furious", "frustrated", "frustrating", "upset", "annoyed",
    "disappointed", "disappointing", "fed up", "terrible", "awful", "worst", "horrible", "sucks",
)  # fmt: skip

#: Words that name the community's service, what a mood can be about (Chinese ones match
#: anywhere, Latin ones as whole words). Operators' own products are complaint terms.
SERVICE: tuple[str, ...] = (
    "课", "老师", "讲师", "助教", "客服", "群主", "管理", "群里", "本群", "活动", "积分", "会员",
    "退款", "退费", "价格", "收费", "扣费", "续费", "app", "软件", "平台", "网站", "系统",
    "更新", "版本", "通知", "规则", "直播", "回放", "视频", "音频", "字幕", "作业", "答疑",
    "证书", "报名", "订单", "服务", "你们", "官方", "工作人员", "签到", "打卡", "体验", "兑换",
    "奖品", "抽奖", "题库", "资料", "链接", "账号", "登录", "下载", "训练营", "讲座", "班主任",
    "商城",
    "优惠", "发货", "快递", "页面", "功能", "界面", "广告", "回复", "处理", "反馈", "申诉",
    "审核", "售后", "质量", "内容", "宣传",
    "course", "class", "lesson", "teacher", "instructor", "support", "admin", "admins", "mods",
    "moderator", "group", "event", "points", "membership", "refund", "price", "fee", "website",
    "platform", "update", "video", "audio", "live", "stream", "session", "homework",
    "certificate", "service", "staff", "you", "your", "account", "login", "log in", "download",
    "link", "page", "feature", "reply", "response", "feedback", "quality", "content", "raffle",
    "prize", "shop", "order", "delivery", "notes", "slides", "quiz", "chat",
)  # fmt: skip

#: An intent or a step being taken (我要, 已经, I will): before a crisis term in the same
#: clause, with one more sign, it makes the term a threat even with no complaint term.
INTENTS: tuple[str, ...] = (
    "我要", "我就", "我会", "我们要", "我们会", "我们就", "已经", "准备", "打算", "马上",
    "直接", "立刻", "等着",
    "i will", "i'll", "i'm going", "i am going", "we will", "we'll", "we're going",
    "we are going", "i'm reporting", "i'm talking", "i am talking", "i have contacted",
    "i've contacted", "contacting", "i'm calling", "i'm taking", "filed",
)  # fmt: skip

#: Crisis terms only ever used against someone: acts (报警, 起诉, 曝光, sue) and bodies
#: that take complaints (消协, 12315, 黑猫, regulator). After an intent they are a threat;
#: a lawyer, a court, the police or the press (我要去法院实习) need one more sign.
CRISIS_ACTS: tuple[str, ...] = (
    "报警", "起诉", "曝光", "维权", "集体投诉", "投诉到", "发到网上", "人肉", "12315", "12345",
    "消协", "黑猫", "工商局", "市场监管", "网信办", "律师函", "维权群",
    "sue", "lawsuit", "legal action", "class action", "report you", "reporting you", "go public",
    "going public", "consumer protection", "regulator",
)  # fmt: skip

#: Look like an intent but are not: 我要是 (if I), 我就是 (I am), 我要当律师 (a career).
NOT_INTENTS: tuple[str, ...] = (
    "我要是", "我就是", "我会不会", "我就说", "已经是", "我要当", "我要成为", "我会成为",
)  # fmt: skip

#: Words jieba may leave apart that contain a term but mean something harmless.
HARMLESS: tuple[str, ...] = (
    "防诈骗", "防骗", "反诈", "入坑", "填坑", "挖坑", "弃坑", "出坑", "不理他", "不理她",
    "把垃圾", "倒垃圾", "扔垃圾", "丢垃圾", "捡垃圾", "垃圾分类",
)  # fmt: skip

#: Words that contain a term and keep its meaning, where jieba makes them one word:
#: 骗局 and 受骗 are 骗, 置之不理 is 不理, 浪费时间 is 浪费, 一拖再拖 is 拖.
COMPOUNDS: tuple[str, ...] = (
    "投诉信", "投诉无门", "举报信", "匿名举报", "受骗", "骗取", "骗局", "诱骗", "蒙骗", "哄骗",
    "坑骗", "行骗", "诓骗", "骗术", "上当受骗", "受骗上当", "坑蒙拐骗", "大骗子", "小骗子",
    "欺骗性", "欺诈性", "诈骗犯", "诈骗案", "合同诈骗", "坑害", "火坑", "失望绝顶", "令人恶心",
    "黑心钱", "赚黑心钱", "黑心肠", "置之不理", "爱理不理", "不理不睬", "坐视不理", "爱答不理",
    "带答不理", "待理不理", "一概不理", "敷衍了事", "敷衍塞责", "敷衍搪塞", "一钱不值",
    "一文不值", "分文不值", "不值钱", "浪费时间", "白白浪费", "浪费资源", "赔偿金", "赔偿费",
    "赔偿款", "精神赔偿", "赔偿损失", "烦躁", "心烦", "厌烦", "烦心", "烦透", "心烦意乱",
    "不胜其烦", "腻烦", "烦闷", "讨说法", "天理何在", "天理难容", "天理不容", "误导性",
    "页面失效", "拖延", "拖欠", "拖拉", "拖沓", "拖拖拉拉", "一拖再拖", "久拖不决", "乱涨价",
    "变相涨价", "毫无效果", "强烈不满", "不满情绪", "心怀不满", "深怀不满", "吃亏上当",
    "恶劣行径", "行为恶劣", "情节恶劣", "品质恶劣", "手段恶劣", "互相推诿", "系统故障",
    "网络故障", "破口大骂", "辱骂", "谩骂", "痛骂", "臭骂", "乱骂", "怒骂", "责骂", "起诉书",
    "起诉状", "维权行动", "中消协", "人民法院", "警察局", "新闻媒体", "媒体报道", "新闻记者",
    "受伤害", "服务态度差", "态度差劲", "服务差劲", "不理睬", "不理会", "毫不理会", "没人理睬",
    "没人理会", "没人回复", "不解决问题", "被扣款", "被扣除", "太吵闹", "骂街", "惹人烦",
    "多难吃", "怪难吃", "市场监管局", "工商局长",
)  # fmt: skip

#: Characters jieba fuses with a term that leave its meaning: 好烦, 太过分, 被坑 before it;
#: 烦死了, 坑惨了, 气死我了, 烦人 after it. A term inside any other word does not count
#: (多媒体, 不理想, 麻烦).
AFFIXES_BEFORE: tuple[str, ...] = (
    "好", "太", "真", "很", "超", "巨", "最", "被", "又", "老", "贼", "挺", "蛮", "特", "更",
    "还", "都", "死", "有点", "有些", "比较", "非常", "特别", "十分", "超级",
)  # fmt: skip
AFFIXES_AFTER: tuple[str, ...] = (
    "了", "死", "惨", "透", "爆", "我", "人", "的", "得", "啊", "呀", "吧", "啦", "哦", "呢",
    "嘛", "么", "哭", "坏", "过", "着", "掉", "完", "顶",
)  # fmt: skip

#: A term ending in one of these (再也不, 根本没) runs into the verb it negates: 再也不住了.
OPEN_ENDS = "不没"
