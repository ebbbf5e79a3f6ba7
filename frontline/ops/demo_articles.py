# ruff: noqa: RUF001 (Cyrillic and Chinese text on purpose)
"""Demo knowledge base: public and internal articles in English, Russian and Chinese,
and a few reply templates, so the help centre and the template picker have content;
the internal articles are the learning path of a trainee (Wei, mentored by Alice).

Articles go through :mod:`frontline.knowledge.actions` like those written in the desk.
"""

from __future__ import annotations

from dataclasses import dataclass

from frontline.accounts.models import User
from frontline.knowledge import actions
from frontline.knowledge.models import Article, ArticleCategory, ReplyTemplate, Traineeship


@dataclass(frozen=True)
class DemoArticle:
    category: str  # "Parent/Child" or "Top"
    visibility: str
    author: str
    views: int
    texts: dict[str, tuple[str, str]]  # language -> (title, Markdown)


CATEGORIES = [
    ("Your account", "Signing in, passwords and permissions.", ["Passwords"]),
    ("Billing", "Invoices, payments and refunds.", []),
    ("Devices", "Laptops, printers and phones.", ["Printers"]),
    ("Team procedures", "How we work (staff only).", []),
]

ARTICLES = [
    DemoArticle("Your account/Passwords", "public", "alice", 42, {
        "en": ("Reset a forgotten password",
               "1. Open the sign-in page and choose **Forgot password**.\n"
               "2. Enter the address you sign in with.\n"
               "3. Open the link we mail you within three days and choose a new password.\n\n"
               "No mail after ten minutes? Look in the spam folder, then write to us."),
        "ru": ("Как восстановить забытый пароль",
               "1. Откройте страницу входа и нажмите **Забыли пароль**.\n"
               "2. Укажите адрес, с которым входите.\n"
               "3. Откройте ссылку из письма в течение трёх дней и задайте новый пароль.\n\n"
               "Письма нет через десять минут? Проверьте папку «Спам»."),
        "zh-hans": ("重置忘记的密码",
                    "1. 打开登录页面，点击**忘记密码**。\n"
                    "2. 输入您登录使用的邮箱地址。\n"
                    "3. 在三天内打开邮件中的链接并设置新密码。\n\n"
                    "十分钟后仍未收到邮件？请检查垃圾邮件文件夹。"),
    }),
    DemoArticle("Billing", "public", "li.wei", 27, {
        "en": ("Where to find your invoice",
               "Invoices are mailed on the first working day of the month to your "
               "billing contact.\n\n| Invoice | When |\n| --- | --- |\n"
               "| Monthly plan | 1st of the month |\n| Extra work | within 5 days |\n\n"
               "Charged twice? Tell us the invoice number and we refund the double charge."),
        "ru": ("Где найти счёт",
               "Счета приходят на адрес бухгалтерии в первый рабочий день месяца.\n\n"
               "Списали дважды? Напишите номер счёта, и мы вернём лишнее."),
        "zh-hans": ("在哪里找到发票",
                    "发票在每月第一个工作日发送到您的账单联系人邮箱。\n\n"
                    "重复扣款？请告诉我们发票号码，我们会退还多扣的款项。"),
    }),
    DemoArticle("Devices/Printers", "public", "bob", 15, {
        "en": ("The printer says paper jam",
               "Open the front tray, pull the jammed paper out **towards you**, close the "
               "tray and wait for the green light. Still jammed? Note the printer's asset "
               "tag and open a *Hardware problem* request."),
        "ru": ("Принтер пишет «замятие бумаги»",
               "Откройте передний лоток, вытяните бумагу **на себя**, закройте лоток и "
               "дождитесь зелёного индикатора. Не помогло — сообщите инвентарный номер."),
        "zh-hans": ("打印机提示卡纸",
                    "打开前面的纸盒，将卡住的纸**朝自己方向**拉出，关上纸盒，等待绿灯亮起。"
                    "仍然卡纸？请记下打印机的资产标签并提交硬件问题请求。"),
    }),
    DemoArticle("Team procedures", "internal", "sam", 9, {
        "en": ("Refunds: who approves what",
               "- Up to **100 EUR**: the agent on the ticket.\n"
               "- Up to **1,000 EUR**: a supervisor.\n"
               "- Above: finance, through the second line.\n\n"
               "Always add an internal note with the invoice number."),
        "ru": ("Возвраты: кто что одобряет",
               "- До **100 евро**: агент по обращению.\n"
               "- До **1000 евро**: руководитель.\n"
               "- Больше: финансовый отдел через вторую линию."),
        "zh-hans": ("退款：审批权限",
                    "- **100 欧元**以内：处理工单的客服。\n"
                    "- **1000 欧元**以内：主管。\n"
                    "- 超过：通过二线转交财务部。"),
    }),
    DemoArticle("Team procedures", "internal", "dmitry", 4, {
        "en": ("Handing a ticket to the second line",
               "Write a handoff note that says what you tried, what the customer sent and "
               "what you expect next. The next person starts from your note."),
        "ru": ("Передача обращения на вторую линию",
               "Напишите заметку: что проверили, что прислал клиент и чего ждёте дальше."),
    }),
]  # fmt: skip

TEMPLATES = [
    ("Thanks for waiting", "", "Hello {customer_first_name},\n\nthank you for waiting. "),
    ("Thanks for waiting", "ru", "Здравствуйте, {customer_first_name}!\n\nСпасибо за ожидание. "),
    ("Thanks for waiting", "zh-hans", "{customer_first_name}，您好！\n\n感谢您的耐心等待。"),
    ("Sign-off", "", "\n\nBest regards,\n{agent_name}, {team}"),
    ("Sign-off", "ru", "\n\nС уважением,\n{agent_name}, {team}"),
    ("Sign-off", "zh-hans", "\n\n此致\n{agent_name}（{team}）"),
]


def _categories() -> dict[str, ArticleCategory]:
    made: dict[str, ArticleCategory] = {}
    for position, (name, description, children) in enumerate(CATEGORIES):
        top, _new = ArticleCategory.objects.get_or_create(
            name=name, parent=None, defaults={"description": description, "position": position}
        )
        made[name] = top
        for child in children:
            made[f"{name}/{child}"], _new = ArticleCategory.objects.get_or_create(
                name=child, parent=top
            )
    return made


def load_knowledge(users: dict[str, User]) -> int:
    """Demo articles (published) and reply templates; nothing if articles exist.
    Returns how many articles were written."""
    for name, language, body in TEMPLATES:
        ReplyTemplate.objects.get_or_create(name=name, language=language, defaults={"body": body})
    if "li.wei" in users and "alice" in users:
        # Wei is learning the work with Alice: /desk/learning/ shows the path.
        Traineeship.objects.get_or_create(
            trainee=users["li.wei"], defaults={"mentor": users["alice"]}
        )
    if Article.objects.exists():
        return 0
    categories = _categories()
    written = 0
    for demo in ARTICLES:
        original: Article | None = None
        for language, (title, body) in demo.texts.items():
            article = actions.create_article(
                category=categories[demo.category],
                title=title,
                body=body,
                language=language,
                visibility=demo.visibility,
                by=users[demo.author],
                translation_of=original,
                # The team's procedures are what a new agent reads first.
                for_trainees=demo.visibility == "internal",
            )
            actions.publish_article(article, by=users[demo.author])
            # Most read first on the help centre: the English one a little more.
            views = demo.views + (5 if language == "en" else 0)
            Article.objects.filter(pk=article.pk).update(view_count=views)
            original = original or article
            written += 1
    return written
