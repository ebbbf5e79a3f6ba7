"""Demo tickets in Chinese."""

# Chinese on purpose: the full-width punctuation is not a typo.
# ruff: noqa: RUF001

from frontline.tickets.models import Channel

from .steps import (
    ACCESS,
    BILLING,
    HW,
    OTHER,
    SOFTWARE,
    Script,
    answer,
    ask,
    confirm,
    handoff,
    note,
    reply,
    resolve,
    tags,
    take,
    waiting_on_third_party,
)

BSOD_LOG = """\
Log Name:      System
Source:        Microsoft-Windows-WER-SystemErrorReporting
Event ID:      1001
Level:         Error
Description:
计算机已经从检测错误后重新启动。检测错误: 0x000000d1 (0x0000000000000000,
0x0000000000000002, 0x0000000000000000, 0xfffff80516a41b2c)。
故障模块: rtwlane601.sys (Realtek Wi-Fi 6E driver 6001.16.145.0)
""".encode()

CHINESE = [
    Script(
        "zh",
        "zhang.min",
        HW,
        "笔记本电脑开机后蓝屏",
        "你好，我的笔记本从今天早上开始一开机就蓝屏，错误代码是 DRIVER_IRQL_NOT_LESS_OR_EQUAL。"
        "昨天下午刚自动更新过系统。今天下午有客户演示，比较着急。事件日志附上。",
        age_days=0.02,
        fields={"device": "Laptop", "asset_tag": "GLX-NB-1207", "since": 0},
        files=(("bsod-event-log.txt", BSOD_LOG),),
    ),
    Script(
        "zh",
        "chen.jing",
        BILLING,
        "请开具三月份的增值税专用发票",
        "您好，我们公司需要为三月份的服务费开具增值税专用发票。开票信息：艾克美（上海）贸易有限公司，"
        "税号 91310000MA1FL8XQ2K。发票请寄到公司前台。",
        age_days=0.5,
        fields={"billing_email": "caiwu@acme.test", "amount": "8600"},
        steps=(tags("sam", "发票"),),
    ),
    Script(
        "zh",
        "wang.fang",
        ACCESS,
        "新员工需要开通邮箱和VPN",
        "你好，我们部门下周一有一位新同事入职（刘洋，市场部），请帮忙开通邮箱、VPN 和共享盘权限。",
        age_days=0.25,
        fields={"system": "Email", "account_email": "wang.fang@globex.test"},
    ),
    Script(
        "zh",
        "zhang.min",
        SOFTWARE,
        "Outlook 无法同步日历",
        "我在 Outlook 里新建的会议，手机上看不到，别人发给我的邀请电脑上也不显示。",
        age_days=0.7,
        fields={"application": "Outlook", "version": "Microsoft 365"},
        steps=(
            take("li.wei"),
            reply(
                "li.wei",
                "张敏您好，收到。我先检查一下您的邮箱同步状态，请稍等，今天下班前给您回复。",
            ),
            note("li.wei", "邮箱配额已满 99%，同步可能因此停止。需要和用户确认可以归档哪些邮件。"),
        ),
    ),
    Script(
        "zh",
        "chen.jing",
        OTHER,
        "三楼会议室投影仪无法连接",
        "三楼大会议室的投影仪用 HDMI 连接笔记本没有信号，下午两点有重要会议。",
        age_days=0.5,
        channel=Channel.CHAT,
        steps=(
            take("li.wei", "会议室设备问题，我来处理。"),
            reply("li.wei", "陈静您好，我十分钟后到三楼会议室现场看一下。"),
            note(
                "li.wei",
                "现场检查：HDMI 线接口松动，已更换新线。"
                "投影仪灯泡使用时间 2900 小时，接近寿命，需要采购备件。",
            ),
        ),
    ),
    Script(
        "zh",
        "wang.fang",
        ACCESS,
        "无法登录 ERP 系统，提示许可证已满",
        "今天上午登录 ERP 一直提示“许可证数量已达上限”，我们部门三个人都进不去。",
        age_days=2.0,
        fields={"system": "ERP", "account_email": "wang.fang@globex.test", "blocked": True},
        steps=(
            take("li.wei"),
            reply("li.wei", "王芳您好，已经确认是许可证问题，我正在查看当前占用情况。"),
            note(
                "li.wei",
                "许可证服务器显示 50/50 已占用，其中 12 个会话超过 3 天未活动，可能是僵尸会话。"
                "我没有许可证服务器的管理权限。",
            ),
            handoff(
                "li.wei",
                "bob",
                "Second line",
                "Globex ERP 许可证 50/50 占满，12 个会话超过 3 天无活动。"
                "需要清理僵尸会话并检查会话超时设置。客户部门三人无法工作。",
            ),
            note(
                "bob",
                "会话超时设置在上次升级后被重置为“永不”。已改回 8 小时并清理了 12 个僵尸会话。",
            ),
            reply(
                "bob",
                "王芳您好，我是第二线支持的陈波。问题已找到：系统升级后会话不会自动超时，占满了许可证。"
                "已经修复，请您和同事再试一下登录。",
            ),
        ),
    ),
    Script(
        "zh",
        "zhang.min",
        HW,
        "仓库的无线网络信号很差",
        "仓库东侧的无线网络经常断开，扫码枪上传数据失败，需要反复重试。",
        age_days=3.0,
        fields={"device": "Other", "asset_tag": "GLX-AP-0014", "since": 7},
        steps=(
            take("li.wei"),
            ask("li.wei", "张敏您好，请问是从什么时候开始的？东侧最近有没有新增货架或者设备？"),
            answer("大概一周前开始的，东侧新装了两排金属货架。"),
            handoff(
                "li.wei",
                "bob",
                "Second line",
                "仓库东侧新装金属货架后无线信号差，扫码枪上传失败。"
                "需要做现场信号勘测，可能要增加一个 AP。",
            ),
            note("bob", "已安排周四上午现场勘测，带一个备用 AP。"),
        ),
    ),
    Script(
        "zh",
        "chen.jing",
        SOFTWARE,
        "报表系统导出的数据与数据库不一致",
        "从报表系统导出的月度销售额比数据库里查询的少了大约 3%，财务对账对不上。",
        age_days=6.0,
        fields={"application": "报表系统", "version": "4.8", "users_affected": 4},
        steps=(
            take("li.wei"),
            reply("li.wei", "陈静您好，收到，我先对比一下具体是哪些记录缺失。"),
            note("li.wei", "缺失的记录都是月末最后一天 16:00 以后的订单，怀疑是时区问题。"),
            handoff(
                "li.wei",
                "bob",
                "Second line",
                "报表导出比数据库少约 3%，缺的都是月末 16:00（UTC 8:00）以后的订单，"
                "怀疑报表按 UTC 截止。",
            ),
            handoff(
                "bob",
                "priya",
                "Specialists",
                "Acme's monthly sales export is ~3% short: the report cuts the month at "
                "midnight UTC, so orders after 16:00 Shanghai time on the last day move to "
                "the next month. Needs a fix in the report query; customer is reconciling "
                "with finance.",
            ),
            note(
                "priya",
                "Report query now converts to the customer's time zone before "
                "grouping by month. Fix deployed; last three months regenerated.",
            ),
            reply(
                "bob",
                "陈静您好，原因已经查明：报表按 UTC 时间截止月份，"
                "月末最后一天下午四点以后的订单被算到了下个月。"
                "我们的专家已经修复并重新生成了最近三个月的报表，请财务再核对一下。",
            ),
        ),
    ),
    Script(
        "zh",
        "wang.fang",
        HW,
        "打印机卡纸，无法打印",
        "二楼的打印机一直提示卡纸，但是打开看里面没有纸。",
        age_days=1.0,
        fields={"device": "Printer", "asset_tag": "GLX-PR-0019"},
        steps=(
            take("li.wei"),
            ask(
                "li.wei",
                "王芳您好，麻烦您拍一张打印机屏幕上错误提示的照片发给我，另外请告诉我打印机的型号（在正面标签上）。",
            ),
        ),
    ),
    Script(
        "zh",
        "zhang.min",
        BILLING,
        "合同续费金额有疑问",
        "续费报价比去年贵了 15%，但是用户数没有变化，请解释一下原因。",
        age_days=1.5,
        fields={"billing_email": "zhang.min@globex.test", "amount": "52900"},
        steps=(
            take("li.wei"),
            ask("li.wei", "张敏您好，请把报价单编号发给我，我核对一下具体条目。"),
        ),
    ),
    Script(
        "zh",
        "chen.jing",
        ACCESS,
        "申请访问共享文件夹权限",
        "我需要访问“采购合同”共享文件夹，用于整理供应商资料。",
        age_days=2.0,
        fields={"system": "Shared drive", "account_email": "chen.jing@acme.test"},
        steps=(
            take("li.wei"),
            ask("li.wei", "陈静您好，需要只读还是可编辑权限？这个文件夹需要部门负责人审批。"),
            answer("只读就可以，审批人是 Maria Petrova。"),
            ask("li.wei", "好的，已经发审批请求给 Maria，等她确认后马上为您开通。"),
        ),
    ),
    Script(
        "zh",
        "wang.fang",
        HW,
        "显示器保修维修进度",
        "上周送修的显示器什么时候能修好？现在用的是临时显示器，分辨率太低。",
        age_days=4.0,
        fields={"device": "Monitor", "asset_tag": "GLX-M-0342", "under_warranty": True},
        steps=(
            take("li.wei"),
            reply("li.wei", "王芳您好，显示器已经在戴尔保修站，我已经联系他们询问进度。"),
            waiting_on_third_party("li.wei", "戴尔保修维修"),
            note("li.wei", "戴尔服务单号 SR1187734，预计下周二返回。"),
        ),
    ),
    Script(
        "zh",
        "zhang.min",
        ACCESS,
        "忘记密码，无法重置",
        "我忘记了邮箱密码，自助重置页面说我的手机号未登记。",
        age_days=1.0,
        fields={
            "system": "Email",
            "account_email": "zhang.min@globex.test",
            "callback_phone": "+86 21 5555 0188",
            "blocked": True,
        },
        steps=(
            take("li.wei"),
            resolve(
                "li.wei",
                "张敏您好，已经通过电话核实身份并重置了密码，临时密码已通过短信发送。"
                "同时帮您登记了手机号，以后可以自助重置。",
            ),
        ),
    ),
    Script(
        "zh",
        "chen.jing",
        HW,
        "鼠标和键盘失灵",
        "无线鼠标和键盘同时失灵，换了电池也没用。",
        age_days=9.0,
        fields={"device": "Desktop", "asset_tag": "ACM-DT-0190"},
        steps=(
            take("li.wei"),
            resolve("li.wei", "陈静您好，接收器松了，已经重新插好并配对，鼠标键盘都恢复正常了。"),
            confirm(),
        ),
    ),
    Script(
        "zh",
        "wang.fang",
        SOFTWARE,
        "WPS 打开文档出现乱码",
        "用 WPS 打开同事发来的 Word 文档，中文全部变成乱码。",
        age_days=18.0,
        fields={"application": "WPS Office", "version": "12.1"},
        steps=(
            take("li.wei"),
            resolve(
                "li.wei",
                "王芳您好，原因是文档使用的字体没有安装。已经为您安装了缺少的字体，请重新打开文档试试。",
            ),
        ),
    ),
    Script(
        "zh",
        "zhang.min",
        OTHER,
        "发送到外部地址的邮件被退回",
        "发给客户的邮件被退回，提示“550 5.7.1 Message rejected”。",
        age_days=5.0,
        channel=Channel.EMAIL,
        steps=(
            take("li.wei", "邮件退信问题，我来看。"),
            resolve(
                "li.wei",
                "张敏您好，对方服务器暂时把我们的发信地址列入了黑名单，已经申请移除，现在应该可以正常发送了。",
            ),
            answer("今天又被退回了，还是同样的提示。"),
            note(
                "li.wei",
                "对方换了一个黑名单服务商，需要重新申请。同时检查一下我们的 DKIM 签名是否正常。",
            ),
        ),
    ),
]
