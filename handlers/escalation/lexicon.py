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
    "答非所问": 2.5, "踢皮球": 3.0, "给个说法": 2.5, "要个说法": 2.5, "讨个说法": 2.5,
    "一个说法": 2.0, "两个说法": 2.0, "说法不一": 2.0, "拉黑": 3.0, "天理": 3.0, "内定": 3.5,
    "误导": 3.0, "不用心": 2.5, "没上期": 1.5, "迟到": 2.0, "念ppt": 2.0, "听不懂": 2.0,
    "做不完": 1.5, "没法用": 2.5, "失效": 2.0, "清零": 2.0, "莫名其妙": 2.5, "丢了": 2.0,
    "全丢": 3.0, "拖": 1.5, "发火": 3.0, "一直": 1.0, "每次": 1.0, "第三次": 1.0, "第五次": 1.0,
    "五次": 1.0, "好几个人": 2.0, "不止我一个": 2.5, "管不管": 3.0, "广告太多": 2.5,
    "管管": 2.0, "贵了": 2.0, "涨价": 2.0, "算什么": 2.5, "根本没": 2.0, "扣款": 2.0,
    "没到账": 2.5, "没到": 1.5, "看不了": 2.5, "无效": 2.0,
    "靠谱点": 2.5, "必须": 1.0, "还没": 1.0, "难听": 2.0, "太吵": 2.0, "不合理": 2.5,
    "不公平": 3.0, "坑爹": 3.0, "糊弄": 3.0, "退不了": 3.0, "不给退": 3.5, "要求退": 2.5,
    "没用": 2.0, "骂": 2.0, "吐槽": 2.0, "不满": 2.5, "挂了": 1.5, "黑屏": 2.0,
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
    "掉线": 1.5, "报错": 1.5, "不像话": 3.0, "不讲信誉": 3.0, "太贵": 1.5,
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
    # Money taken, goods withheld, blame refused: telling on their own
    "多收": 3.0, "偷偷": 2.0, "无故": 2.0, "补偿": 2.0, "被拒": 2.5, "驳回": 2.5, "拒退": 3.0,
    "拒赔": 3.0, "说不管": 2.5, "也不管": 2.5, "都不管": 2.5, "不管不问": 3.0, "人为损坏": 2.5,
    "割韭菜": 3.5, "黑店": 3.5, "宰客": 3.5, "宰人": 3.0, "吃相难看": 3.0, "不要脸": 3.0,
    "无耻": 3.0, "强买强卖": 3.5, "强制消费": 3.0, "虚假宣传": 3.5, "抄袭": 2.5, "假货": 3.5,
    "以次充好": 3.5, "偷工减料": 3.0, "缺斤少两": 3.5, "短斤少两": 3.5, "名不副实": 2.5,
    "什么道理": 2.5, "这合理吗": 2.5, "也敢卖": 3.0, "还好意思": 2.5, "给个交代": 2.5,
    "给个解释": 2.0, "自己看着办": 2.5, "等着瞧": 2.5, "走着瞧": 2.5, "后果自负": 3.0,
    "别怪我不客气": 3.0, "嘴脸": 2.5, "没人回答": 3.0, "没人回应": 3.0, "承诺": 1.5, "不是说": 1.5,
    "骚扰": 2.5,
    "补钱": 2.0, "加钱": 1.5, "退差价": 2.0, "钱呢": 2.5, "白等": 2.0, "等于没问": 2.5,
    "不提前说": 2.0, "不告诉": 1.5,
    # Short English: what members type when money or goods went wrong.
    "rip off": 3.0, "daylight robbery": 3.5, "stole my": 3.5, "took my money": 3.5,
    "thieves": 3.0, "double billed": 3.5, "billed twice": 3.5,
    "thanks for nothing": 3.0, "no access": 2.0, "without asking": 2.0, "not fair": 2.0,
    "letdown": 2.0, "let down": 2.0, "not impressed": 2.0, "expected better": 2.0,
    "cash grab": 3.5, "never signed up": 3.0, "didn't sign up": 3.0, "never ordered": 2.5,
    "never came": 2.5, "never arrived": 2.5, "never showed up": 2.5, "never did": 2.0,
    "didn't tell": 2.0, "without telling": 2.0, "didn't notify": 2.0, "for nothing": 1.5,
    "not their problem": 2.5, "user damage": 2.5, "denied": 2.5, "rejected": 2.0,
    "refused": 2.0, "no reason": 2.0, "wrong item": 3.0, "wrong size": 2.5, "wrong order": 2.5,
    "wrong color": 2.5, "wrong colour": 2.5, "instead of": 1.0, "pending": 1.0, "billed me": 2.5,
    "zero response": 2.5, "no staff": 2.0, "nobody replied": 3.0, "no one replied": 3.0,
    "you said": 1.5, "supposed to": 1.5, "painfully": 1.0, "严重": 1.0, "没人通知": 2.0,
    "没兑现": 2.5, "送错": 2.5, "寄错": 2.5,
    "错发": 2.5, "少发": 2.5, "漏发": 2.5, "没回应": 2.5, "没开通": 2.5, "没发货": 2.5,
    "不发货": 2.5, "没到货": 2.5, "丢件": 3.0, "超售": 3.0, "被封": 2.5, "封号": 3.0,
    "不给补偿": 3.0, "不赔": 2.5,
}  # fmt: skip

#: Problems with goods and services: defects, failures, things missing or late, and
#: mild dissatisfaction. They say what went wrong, not that anyone is to blame (电梯坏了,
#: 有点失望), so like moods they count only about something: next to another telling
#: term, or where the community's service (SERVICE) or goods (PRODUCTS) are named.
PROBLEMS: dict[str, float] = {
    # Goods: broken, worn out, damaged, spoilt, wrong or missing
    "坏了": 2.0, "坏掉": 2.0, "损坏": 2.0, "破损": 2.0, "摔坏": 2.0, "压坏": 2.0, "报废": 2.5,
    "漏液": 2.0, "漏水": 2.0, "漏气": 2.0, "开胶": 2.0, "开线": 2.0, "脱线": 2.0, "起球": 2.0,
    "起毛": 2.0, "褪色": 2.0, "掉色": 2.0, "掉漆": 2.0, "变形": 1.5, "裂了": 2.0, "开裂": 2.0,
    "断了": 1.5, "松了": 2.0, "坏的": 2.0, "烂的": 2.0, "没修好": 2.0, "修不好": 2.0, "划痕": 2.0,
    "刮花": 2.0, "瑕疵": 2.0, "次品": 2.5, "残次": 2.5,
    "翻新": 2.5, "过期": 2.0, "变质": 2.5, "发霉": 2.5, "馊了": 2.5, "异物": 2.5, "烂了": 2.0,
    "压扁": 2.0, "洒了": 2.0, "凉了": 1.5, "缺件": 2.0, "发错": 2.0, "少了": 1.5, "不符": 2.0,
    "完全不一样": 2.0,
    "不一致": 1.5, "磨脚": 2.0, "勒脚": 2.0, "夹脚": 2.0, "割手": 2.0, "烫手": 1.5,
    "粗糙": 2.0, "简陋": 2.0, "劣质": 3.0, "山寨": 2.5, "异味": 2.0, "刺鼻": 2.0, "串味": 2.0,
    "太甜": 1.5, "太咸": 1.5, "太淡": 1.5, "太油": 1.5, "卡了": 2.0, "断断续续": 1.5, "偏小": 1.5,
    "偏大": 1.5,
    # Apps, sites and sessions: failing, lagging, out of sync, removed
    "登录不上": 2.0, "加载不出来": 2.0, "刷不出来": 2.0, "转圈": 1.5, "不同步": 2.0,
    "对不上": 2.0, "连不上": 2.0, "断连": 2.0, "没声音": 2.0, "听不清": 2.0, "看不清": 1.5,
    "延迟": 1.5, "缓冲": 1.5, "电流声": 2.0, "杂音": 2.0, "卡住": 1.5, "失败": 1.5,
    "没成功": 1.5, "抢不到": 1.5, "删了": 2.0, "删掉了": 2.0, "迟到": 2.0, "有点卡": 2.0,
    "崩了": 2.5, "故障": 1.5, "刺眼": 2.0, "眼睛疼": 2.0, "复制粘贴": 2.0,
    "很卡": 2.0, "好卡": 2.0, "特别卡": 2.0, "超卡": 2.0,
    "没同步": 2.0, "一个都没": 2.0, "一样都没": 2.0, "太麻烦": 2.0, "好麻烦": 2.0, "很麻烦": 1.5,
    "不太合理": 2.0, "不适合": 1.5, "不太适合": 1.5, "可怕": 2.0, "去掉了": 2.0, "砍了": 2.0,
    "写错": 2.0, "打错": 2.0, "弄错": 2.0, "搞错": 2.0, "出错": 2.0, "bug": 2.0, "刷屏": 2.0,
    "太频繁": 2.0, "跑题": 2.0, "拖堂": 2.0, "太绕": 2.0, "好绕": 2.0, "看不懂": 2.0,
    "没懂": 1.5, "记不下来": 1.5, "跟不上": 1.5, "太晚": 2.0, "太简略": 2.0,
    "有点水": 2.0, "没动静": 2.0, "待发货": 2.0, "还没发": 2.0, "韭菜": 2.5, "清空": 2.0,
    "不见了": 1.5, "没等到": 1.5, "落差": 2.0, "绕远路": 2.0,
    # Mild dissatisfaction and indignation
    "体验不好": 2.0, "显示不全": 2.0, "一般般": 2.0, "很一般": 2.0, "太一般": 2.0, "不太行": 2.0,
    "糟心": 2.5, "闹心": 2.5,
    "窝火": 2.5, "郁闷": 2.0, "崩溃": 2.0, "心累": 2.0, "头疼": 1.5, "头大": 1.5, "很懵": 1.5,
    "着急": 1.5, "急死": 2.0, "气哭": 3.0, "冤": 2.0, "醉了": 2.0, "尴尬": 1.0,
    "能不能别": 2.0, "别总": 1.5, "别老": 1.5, "每次都这样": 2.0, "总是这样": 2.0,
    "老是这样": 2.0,
    # English
    "broken down": 2.0, "died": 1.5, "fell apart": 2.5, "falling apart": 2.0, "came off": 2.0,
    "cracked": 2.0, "scratched": 2.0, "scratches": 1.5, "dented": 2.0, "leaking": 2.0,
    "leaks": 2.0, "spilled": 2.0, "stale": 2.0, "expired": 2.0, "moldy": 2.5, "mouldy": 2.5,
    "rotten": 2.5, "missing": 1.5, "damaged": 2.0, "defective": 2.5, "faulty": 2.5,
    "refurbished": 2.5, "fraying": 2.0, "frayed": 2.0, "pilling": 2.0, "faded": 1.5,
    "disconnecting": 2.0, "disconnects": 2.0, "keeps dropping": 2.0, "static": 1.5,
    "laggy": 2.0, "lagging": 2.0, "glitchy": 2.0, "glitch": 1.5, "freezes": 2.0, "is dead": 2.0,
    "logged me out": 2.0, "not syncing": 2.0, "way too": 2.0, "too sweet": 1.5, "too salty": 1.5,
    "too small": 1.5, "tiny": 1.0, "underwhelmed": 2.5, "underwhelming": 2.5, "not as good": 2.0,
    "filler": 2.0, "headache": 1.5, "banned": 2.0, "suspended": 1.5, "paper thin": 2.0,
    "i'm done": 2.0,
    "typo": 1.5, "misprint": 1.5, "overcooked": 2.0, "undercooked": 2.0, "cold food": 2.0,
}  # fmt: skip

#: Words that turn a complaint into a crisis (legal, media, regulators), or a threat.
CRISIS: dict[str, float] = {
    "律师": 5.0, "起诉": 5.0, "法院": 5.0, "曝光": 5.0, "维权": 5.0, "12315": 5.0, "消协": 5.0,
    "媒体": 4.0, "记者": 4.0, "报警": 5.0, "警察": 4.0, "工商局": 5.0, "市场监管": 5.0,
    "集体投诉": 5.0, "微博": 3.0, "发到网上": 4.5, "黑猫": 4.5,
    "lawyer": 5.0, "sue": 5.0, "lawsuit": 5.0, "legal action": 5.0, "press": 3.5,
    "media": 3.5, "journalist": 4.0, "police": 5.0, "regulator": 4.5, "class action": 5.0,
    "go public": 4.5, "going public": 4.5, "twitter": 3.0,
    "report you": 4.5, "reporting you": 4.5, "data protection": 4.5, "authority": 3.5,
    "consumer protection": 5.0, "投诉到": 4.0, "12345": 5.0, "网信办": 5.0, 
    "维权群": 5.0, "律师函": 5.0,
    "电视台": 4.0, "抖音": 3.0, "小红书": 3.0, "热搜": 3.0, "拉横幅": 4.5, "追究": 3.0,
    "法律责任": 4.5, "法律途径": 4.5, "法院见": 5.0, "报案": 5.0, "立案": 4.5, "派出所": 4.0,
    "公安": 4.0, "消基会": 5.0, "银保监会": 5.0, "教育局": 4.0, "仲裁": 4.5, "黑猫投诉": 4.5,
    "投诉平台": 4.0, "监管部门": 4.5, "让所有人看看": 4.0, "让大家看看": 4.0,
    "公之于众": 4.5, "法庭见": 5.0,
    "small claims": 5.0, "reporter": 4.0, "news station": 4.0, "local news": 4.0,
    "trustpilot": 3.5, "reddit": 3.0, "tiktok": 3.0, "bbb": 4.5, "ftc": 4.5,
    "better business bureau": 4.5, "attorney": 5.0, "court": 4.0, "chargeback": 3.5,
    "solicitor": 5.0, "ombudsman": 4.5, "trading standards": 4.5, "journalists": 4.0,
    "lawyers": 5.0, "boycott": 4.0, "police report": 5.0, "police reports": 5.0,
    "my lawyer": 5.0, "my attorney": 5.0, "my solicitor": 5.0, "our lawyer": 5.0,
}  # fmt: skip

#: Safety incidents: crises where the community's goods are involved (PRODUCTS, your
#: kettle, 你们卖的), or with a complaint. Those lighter than crisis_threshold (住院,
#: 过敏, hospital) need another crisis term (上吐下泻，已经去医院了). 我奶奶住院了 and
#: "broke my leg skiing" are no crisis.
SAFETY: dict[str, float] = {
    "起火": 4.5, "着火": 4.5, "冒烟": 4.0, "爆炸": 4.5, "鼓包": 4.0, "漏电": 4.5, "触电": 4.5,
    "被电": 4.0, "烫伤": 4.5, "烧伤": 4.5, "灼伤": 4.5, "骨折": 4.5, "流血": 4.0, "砸伤": 4.5,
    "划伤": 4.0, "割伤": 4.0, "摔伤": 4.0, "砸到人": 4.5, "溺水": 4.5, "中毒": 4.5,
    "上吐下泻": 4.5, "起疹子": 3.0, "过敏": 2.5, "红肿": 2.0, "烂脸": 4.0, "拉肚子": 2.0,
    "住院": 2.0, "受伤": 4.0, "去医院": 2.0, "进医院": 2.0, "在医院": 2.0, "急诊": 2.5,
    "救护车": 3.0, "出人命": 4.5, "安全隐患": 4.0, "缝针": 4.0, "吃坏肚子": 4.0,
    "caught fire": 4.5, "on fire": 4.0, "smoke": 2.0, "exploded": 4.5, "burned": 3.0,
    "burns": 2.5, "stitches": 4.0, "injured": 4.0, "injury": 4.0, "bleeding": 4.0,
    "electric shock": 4.5, "hospital": 2.0, "the er": 2.5, "emergency room": 2.5, "hives": 3.0,
    "allergic reaction": 3.5, "allergic": 2.0, "food poisoning": 4.5, "poisoning": 4.0,
    "unsafe": 2.5, "safety hazard": 4.0, "melted": 2.5,
}  # fmt: skip

#: Privacy breaches: crises where the community is involved (SERVICE or PRODUCTS named,
#: 你们, your), or with a complaint. 新闻说某平台数据泄露 is told of others.
PRIVACY: dict[str, float] = {
    "泄露": 4.5, "泄漏": 4.5, "人肉": 4.5, "侵犯隐私": 4.5, "隐私": 3.5, "定位": 2.0,
    "身份证": 2.5, "发到群里": 2.0, "发群里": 2.0, "住址": 2.0, "手机号": 1.5, "盗刷": 4.5,
    "被盗": 4.0, "盗号": 4.0, "暗网": 4.5, "骚扰短信": 2.0, "骚扰电话": 2.0, "推销短信": 2.0,
    "通讯录": 2.5, "违法": 3.5, "侵权": 3.0, "侵犯": 3.5, "截图发": 2.0, "个人信息": 3.5,
    "学员信息": 3.5, "用户信息": 3.5, "陌生人": 2.0, "被公开": 4.0, "能看到我的": 4.0,
    "leaked": 4.5, "data leak": 5.0, "leak": 4.5, "privacy": 3.5, "without permission": 3.5,
    "illegal": 3.5, "identity theft": 4.5, "stolen": 2.5, "personal data": 3.5,
    "personal information": 3.5, "my data": 3.0, "our data": 3.0,
}  # fmt: skip

#: Signs of harm that make a complaint serious (重大) rather than minor: money paid or
#: taken, or several people affected. Amounts ("1999元", "$299") and head counts
#: ("四个人", "six of us") are recognised by pattern as well.
HARM: tuple[str, ...] = (
    "花了", "付了钱", "付款", "收了钱", "花的钱", "钱白花", "白花钱", "扣费", "扣款", "扣了",
    "会员费", "年费", "学费", "充值", "交了钱", "我们这些", "我们宿舍", "大家都", "好几个人",
    "很多人", "不止我", "全班", "所有人",
    "paid", "charged", "billing", "money", "everyone", "we all", "all of us",
    "余额", "押金", "定金", "订金", "差价", "运费", "维修费", "手续费", "分期", "全款", "付了",
    "钱付了", "付完钱", "钱花", "补钱", "一分没", "一分钱", "白交", "白花", "billed", "credit",
    "deposit", "balance",
)  # fmt: skip

#: Terms that accuse of cheating (骗, 割韭菜, scam) or refuse what is owed (被拒, 驳回,
#: denied): like money lost, they make a complaint serious (重大).
SERIOUS: tuple[str, ...] = (
    "骗", "骗子", "骗人", "欺骗", "欺诈", "诈骗", "忽悠", "坑人", "坑钱", "被坑", "被骗", "上当",
    "骗钱", "黑心", "虚假", "圈钱", "跑路", "割韭菜", "黑店", "宰客", "糊弄", "耍人", "耍我",
    "内定", "误导", "霸王条款", "乱收费", "多收", "偷偷", "以次充好", "偷工减料", "假货",
    "虚假宣传", "翻新", "缺斤少两", "短斤少两", "被拒", "驳回", "拒退", "拒赔", "不给退",
    "不给退款", "退不了", "人为损坏", "说不管", "丢件", "超售", "封号", "被封", "不给补偿",
    "不赔",
    "scam", "scammer", "scammed", "fraud", "cheated", "rip-off", "ripoff", "rigged",
    "misleading", "misled", "lied", "lied to", "bait and switch", "false advertising",
    "cash grab", "theft", "fake", "hidden fees", "hidden fee", "never signed up",
    "didn't sign up", "unauthorized", "refurbished", "denied", "rejected", "refused",
    "user damage", "not their problem",
)  # fmt: skip

#: Words that soften what follows or mark contentment.
POSITIVE: dict[str, float] = {
    "谢谢": 1.5, "感谢": 1.5, "太棒": 2.5, "好评": 2.5, "点赞": 2.0, "喜欢": 1.5, "满意": 2.0,
    "解决了": 2.5, "辛苦": 1.5, "哈哈": 1.5, "笑死": 1.5, "开心": 1.5, "lol": 1.5,
    "haha": 1.5, "😂": 1.5, "🤣": 1.5, "真好": 1.5, "好看": 1.5, "好玩": 1.5, "精彩": 1.5,
    "成就感": 1.5, "很值": 1.5, "太值": 1.5, "值了": 1.5, "惊喜": 1.5, "治愈": 1.5, "幸福": 1.5,
    "thanks": 1.5, "thank you": 1.5, "great": 2.0,
    "love": 2.0, "awesome": 2.5, "solved": 2.5, "works now": 2.5, "amazing": 2.5,
    "solid": 2.0, "really good": 2.0, "worth it": 1.5, "还好": 1.5, "不错": 1.5, "放心": 1.5,
    "挺好": 1.5,
    "很好": 1.5, "好吃": 1.5, "推荐": 1.5, "好用": 1.5, "很棒": 2.0, "给力": 2.0, "赞": 1.5,
    "太好": 2.0,
    "好太多": 2.0, "靠谱": 1.5,
    "干净": 1.0, "方便": 1.0, "舒服": 1.0, "热情": 1.0, "周到": 1.0, "实惠": 1.0, "划算": 1.0,
    "值得": 1.0, "nice": 1.5, "helpful": 2.0, "useful": 2.0, "recommend": 1.5,
}  # fmt: skip

#: A term right after one of these does not count (我不是要投诉, not a scam).
NEGATIONS = (
    "不是", "并不是", "并非", "没有被", "并没有", "无意", "不想", "不打算", "不会去",
    "不会让", "不再让", "没有让", "没让", "我不",
    "not", "no", "never", "don't", "isn't", "wasn't", "aren't", "used",
)  # fmt: skip

#: Moods and verdicts (烦, 失望, 气死, 太差, hate, terrible): they say how someone feels,
#: not what went wrong. They count only about something: next to another telling term,
#: or where the community's service is named (SERVICE). 下雨天真烦人 is no complaint.
MOODS: tuple[str, ...] = (
    "烦", "吐槽", "坑", "难受", "心塞", "失望", "生气", "愤怒", "气死", "无语", "恶心", "不爽",
    "受够",
    "发火",
    "太差", "很差", "好差", "真差", "超差", "太烂", "很烂", "差劲", "服了",
    "hate", "annoying", "angry", "furious", "frustrated", "frustrating", "upset", "annoyed",
    "disappointed", "disappointing", "fed up", "terrible", "awful", "worst", "horrible", "sucks",
    "体验不好", "一般般", "很一般", "太一般", "不太行", "糟心", "闹心", "窝火", "郁闷", "崩溃",
    "心累", "头疼",
    "头大", "很懵", "着急", "急死", "气哭", "冤", "醉了", "尴尬", "可怕", "underwhelmed",
    "underwhelming", "i'm done", "headache",
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
    "录播", "课表", "公告", "嘉宾", "分享会", "教练", "班班", "推送", "小程序", "网页", "服务器",
    "进度", "发票", "物流", "团购", "拼团", "配送", "骑手", "门店", "店员", "商家", "权益",
    "赠品", "返现", "优惠券", "套餐", "售后", "workbook", "module", "modules", "app version",
    "notifications", "checkout", "subscription", "invoice", "mic", "q&a", "cohort",
)  # fmt: skip

#: Goods, and buying them (买的, 收到的): besides SERVICE, what a problem or a mood can be
#: about, and what links a safety incident to the community's goods. Places and food
#: (酒店, 奶茶) are left out: members chat about them; a hotel's or a café's community
#: names them in service_terms.
PRODUCTS: tuple[str, ...] = (
    "产品", "商品", "质量", "包装", "快递", "包裹", "外卖", "店家", "卖家", "面霜", "口红", "防晒",
    "洗面奶", "护肤品", "化妆品", "鞋子", "跑鞋", "鞋底", "衣服", "裤子", "袜", "t恤", "表带",
    "手表", "耳机", "耳塞", "手机壳", "充电线", "数据线", "充电器", "充电宝", "电池", "杯盖",
    "杯子", "水壶", "热水壶", "电热水壶", "机器", "设备", "电器", "家电", "吹风机", "扫地机",
    "净水器", "加湿器", "电暖器", "热水器", "座椅", "头盔", "门锁", "说明书", "灯泡", "主板",
    "保修", "维修", "安装", "买的", "买了", "刚买", "新买", "收到的", "收到货", "到货", "下单",
    "订的", "订了", "用的时候", "充电的时候", "保质期", "货", "买到", "拆开", "新品", "这批",
    "这款", "退货", "换货",
    "product", "item", "items", "package", "parcel", "unit", "device", "charger", "battery",
    "cable", "earbud", "earbuds", "headphones", "strap", "shoe", "shoes", "sole", "jacket",
    "joggers", "shirt", "lid", "sunscreen",
    "moisturizer", "cream", "shade", "lipstick", "helmet", "kettle", "heater", "seller",
    "warranty", "after-sales",
    "installer", "bought", "ordered", "received", "purchase", "shipping", "refill", "bottle",
)  # fmt: skip

#: Someone else's story (有人, 我同事, my friend), a place elsewhere or the weather: complaint
#: and crisis terms in such a sentence are told of others, not made to the community,
#: unless it is addressed (你们, your). A safety incident still counts (my mom burned her
#: hand on the kettle): it needs its link to the community's goods anyway.
OTHERS: tuple[str, ...] = (
    "别人说", "别人家", "朋友", "同事", "室友", "邻居", "房东", "闺蜜", "亲戚", "家人", "队友",
    "老天爷", "天气", "我们公司", "我公司", "我同学", "堵车", "塞车", "别的地方", "别家", "别处",
    "其他家", "短信说", "电话说", "冒充", "话术", "新花样", "一看就是", "大家小心", "别信",
    "别上当", "警惕", "提醒大家", "psa", "don't click", "be careful", "fell for", "a company",
    "那家", "几家",
    "这几家", "别的店",
    "friend", "friends", "colleague", "coworker", "co-worker", "neighbour", "neighbor",
    "roommate", "landlord", "someone", "somebody", "weather", "teammate", "teammates",
    "traffic", "elsewhere", "another store",
)  # fmt: skip

#: Hearsay, news and fiction (新闻说, 听说, 剧里, heard): like OTHERS, and a safety incident
#: told this way (新闻说某品牌充电宝起火了) is no crisis either.
HEARSAY: tuple[str, ...] = (
    "新闻", "听说", "据说", "剧里", "电影里", "综艺", "小说", "晚会", "网友", "博主", "剧",
    "讲的是", "科普", "纪录片", "read about",
    "news", "heard", "apparently", "movie",
)  # fmt: skip

#: Media platforms (抖音, 微博, reddit): everyday topics, a threat only with an act of
#: exposure, a complaint or another crisis term (已经发抖音曝光), not merely addressed to
#: the group (我已经在小红书发了攻略，你们去看).
PLATFORMS: tuple[str, ...] = (
    "微博", "抖音", "小红书", "热搜", "twitter", "reddit", "tiktok", "trustpilot",
)  # fmt: skip

#: A complaint taken back: a mistake or a false alarm (虚惊一场, 原来是我, my bad).
MISTAKEN: tuple[str, ...] = (
    "还以为", "虚惊一场", "误会一场", "是误会", "误会了", "原来是我", "是我自己", "是我搞错",
    "我搞错", "我看错", "turned out", "but it was my", "my bad", "my mistake", "false alarm",
    "never mind", "nevermind", "all good now", "wrong chat", "wrong group", "发错群",
    "发错地方", "我自己的问题", "我这边的问题", "看错了",
)  # fmt: skip

#: One's own slip: 我又忘了打卡，气死我了 is no complaint (see OTHERS).
SELF: tuple[str, ...] = (
    "我忘", "我又忘", "我竟然忘", "我居然忘", "我不小心", "我又不小心", "我手滑", "怪我",
    "我的错", "i forgot", "i accidentally", "my fault", "my own fault",
)  # fmt: skip

#: Family, pets and bosses told of: 我儿子, 我家猫, 我老公, my toddler (see OTHERS).
KIN: tuple[str, ...] = (
    "妈", "爸", "老公", "老婆", "媳妇", "儿子", "女儿", "闺女", "娃", "孩子", "小孩", "哥", "姐",
    "弟", "妹", "老人", "奶奶", "爷爷", "外婆", "外公", "姥姥", "姥爷", "姨", "舅", "叔", "婶",
    "姑",
    "表姐", "表哥", "表妹", "表弟", "堂哥", "堂姐", "侄", "外甥", "婆婆", "公公", "岳母", "丈母娘",
    "猫", "狗", "老板", "领导",
    "mom", "mum", "dad", "wife", "husband", "son", "daughter", "kid", "kids", "toddler",
    "sister", "brother", "boss", "cat", "dog", "partner", "grandma", "grandpa", "family", "aunt",
    "uncle", "cousin",
    "niece", "nephew",
)  # fmt: skip

#: What is owed: after 没有 these are what is missing (没有退款), not a denial.
WANTED: tuple[str, ...] = (
    "退款", "退钱", "退费", "赔偿", "补偿", "说法", "回复", "处理", "解决", "到账", "通知",
)  # fmt: skip

#: An intent or a step being taken (我要, 已经, I will): before a crisis term in the same
#: clause, with one more sign, it makes the term a threat even with no complaint term.
INTENTS: tuple[str, ...] = (
    "我要", "我就", "我会", "我们要", "我们会", "我们就", "已经", "准备", "打算", "马上",
    "直接", "立刻", "等着", "明天", "回头", "这就", "一定", "会去", "要去", "去了",
    "i will", "i'll", "i'm going", "i am going", "we will", "we'll", "we're going",
    "we are going", "i'm reporting", "i'm talking", "i am talking", "i have contacted",
    "i've contacted", "contacting", "i'm calling", "i'm taking", "filed", "filing",
    "i'm sending", "i've already", "already", "going to", "gonna", "see you in",
    "taking you to", "writing to", "expect a", "will be in touch", "starts",
    "大家一起", "咱们一起", "我们一起", "一起去",
)  # fmt: skip

#: Crisis terms only ever used against someone: acts (报警, 起诉, 曝光, sue) and bodies
#: that take complaints (消协, 12315, 黑猫, regulator). After an intent they are a threat;
#: a lawyer, a court, the police or the press (我要去法院实习) need one more sign.
CRISIS_ACTS: tuple[str, ...] = (
    "报警", "起诉", "曝光", "维权", "集体投诉", "投诉到", "发到网上", "人肉", "12315", "12345",
    "消协", "黑猫", "工商局", "市场监管", "网信办", "律师函", "维权群",
    "sue", "lawsuit", "legal action", "class action", "report you", "reporting you", "go public",
    "going public", "consumer protection", "regulator",
    "拉横幅", "法院见", "报案", "立案", "追究", "法律责任", "法律途径", "消基会", "银保监会",
    "黑猫投诉", "投诉平台", "让所有人看看", "让大家看看", "公之于众", "small claims", "bbb", "ftc",
    "better business bureau", "chargeback", "ombudsman", "trading standards", "boycott",
    "police report", "police reports", "my lawyer", "my attorney", "my solicitor", "our lawyer",
    "法庭见",
)  # fmt: skip

#: Acts that are a threat on their own, with no intent before them (法院见！).
THREATS_ALONE: tuple[str, ...] = ("法院见", "法庭见")

#: Look like an intent but are not: 我要是 (if I), 我就是 (I am), 我要当律师 (a career).
NOT_INTENTS: tuple[str, ...] = (
    "我要是", "我就是", "我会不会", "我就说", "已经是", "我要当", "我要成为", "我会成为",
)  # fmt: skip

#: Words jieba may leave apart that contain a term but mean something harmless.
HARMLESS: tuple[str, ...] = (
    "防诈骗", "防骗", "反诈", "入坑", "填坑", "挖坑", "弃坑", "出坑", "不理他", "不理她",
    "把垃圾", "倒垃圾", "扔垃圾", "丢垃圾", "捡垃圾", "垃圾分类", "不管是", "不管怎样",
    "不管怎么", "不管你", "不管什么", "不管如何", "不管多", "冤枉路", "曝光补偿", "曝光时间",
    "长曝光", "曝光过度", "曝光不足", "曝光有点", "延迟退房",
    "再也不忘", "再也不怕", "再也不用", "再也不愁", "再也不担心", "诈骗电话", "诈骗短信",
    "骗子短信",
    "骗子电话", "诈骗预警", "诈骗信息", "诈骗链接", "防骗", "识别骗局", "直接拉黑", "隐私设置",
    "隐私政策", "得不像话", "客户投诉", "处理投诉", "投诉处理", "垃圾玩家", "垃圾话", "垃圾食品",
    "垃圾桶",
    "湿垃圾", "干垃圾", "垃圾袋", "有个坑", "一个坑", "水坑", "working late", "stay up late",
    "stayed up late", "late night", "不着急", "别着急", "不用着急",
    "金卡", "银卡", "黑卡", "房卡", "门卡", "饭卡", "会员卡", "银行卡", "信用卡",
    "打卡", "刷卡",
    "报警器", "报警灯", "报警声", "自动报警", "自己报警", "滤网报警", "scam text", "scam texts",
    "scam call", "scam calls", "scam email", "scam sms",
    "scam message", "scam link", "privacy settings", "privacy policy",
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
    "多难吃", "怪难吃", "市场监管局", "工商局长", "翻新机", "冤枉", "冤大头", "好冤",
    "太冤", "被封号", "发抖音", "信息泄露", "隐私泄露", "数据泄露", "泄露隐私", "封号了", "丢件了",
    "漏液了", "骚扰电话", "骚扰短信",
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
