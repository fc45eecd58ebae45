"""Words that carry no topic: particles, pronouns, chat fillers, question words.

Question words decide *whether* a message is a question (see
:mod:`faq.question`), not *which* entry answers it, so they are not index terms.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


CHINESE = _words(
    """
    的 了 吗 呢 吧 啊 呀 哦 喔 嗯 哈 哈哈 嘛 呗 啦 么 哇 噢 诶 欸 唉 哎 呃 额 嘞 咯 哟
    我 你 您 他 她 它 我们 你们 他们 她们 大家 咱 咱们 自己 人家 有人 谁 谁知道
    请问 问一下 问下 问问 一下 下 请 麻烦 谢谢 感谢 多谢 求 求问 求助 帮忙 帮 知道 想 想问 想知道
    是 在 有 和 与 跟 及 或 或者 就 都 也 还 又 要 会 能 能不能 可以 可不可以 可 该 应该 得 需要
    怎么 怎么办 怎么样 怎样 如何 什么 啥 为什么 为啥 哪 哪里 哪儿 哪个 哪些 多少 几 干嘛 干啥 咋
    是否 是不是 有没有 没有
    这个 那个 这 那 这些 那些 个 些 一个 一种 里 上 中 把 被 给 让 对 从 到 向 为 以 于 之 所
    刚 刚刚 刚才 现在 今天 已经 还是 但是 但 然后 所以 因为 如果 的话 就是 还有 不 没 很 太
    非常 挺 比较 最
    一 二 两 好 好的 嗯嗯 哦哦 呀呀 么么 各位 老师 群友 朋友 小伙伴 兄弟 姐妹 亲 进群 新人 刚进群
    """
)

ENGLISH = _words(
    """
    a an the is are was were be been am do does did doing have has had i me my we our you your
    he she it its they them their this that these those to of in on at for from with by about
    as into and or but if so not no can could would should will shall may might must how what
    why where when who which whom there here please pls plz hi hello hey thanks thank any anyone
    someone know tell get got just also still some something does anybody help
    u ur r im ive id dont cant wont isnt doesnt didnt whats thats theres hows
    anywhere somewhere everywhere up out really actually like want wanna need gonna
    much many one ones thing things ok okay lol guys folks all n w
    """
)

STOP_WORDS = CHINESE | ENGLISH
