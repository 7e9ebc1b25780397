"""Names, addresses and hard negatives (order/tracking numbers, amounts, dates ...) for evaluation."""

from __future__ import annotations

import random
import string

from .synthetic_values import digits, luhn_complete

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔"
)
_COMPOUND = ("欧阳", "司马", "上官", "诸葛", "慕容")
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建文宇浩欣怡晨轩涵子梓思雨嘉俊博佳琪雪丹峰林亮斌飞鑫"
)
_NOT_NAMES = (
    "新用户",
    "会员",
    "学生",
    "王者荣耀玩家",
    "张家界的",
    "高级会员",
    "黄金会员",
    "老客户",
    "商家",
    "顾客",
    "江西人",
    "武汉的",
    "华为用户",
    "管理员",
    "车主",
    "房东",
    "程序员",
    "宝妈",
    "第一次买",
    "安徽人",
)
_EN_FIRST = [
    "James",
    "Mary",
    "John",
    "Linda",
    "Robert",
    "Emily",
    "Michael",
    "Sarah",
    "David",
    "Laura",
    "Daniel",
    "Olivia",
    "Wei",
    "Li",
    "Kevin",
    "Anna",
]
_EN_LAST = [
    "Smith",
    "Johnson",
    "Brown",
    "Taylor",
    "Miller",
    "Wilson",
    "Moore",
    "Anderson",
    "Clark",
    "Lewis",
    "Walker",
    "Young",
    "Chen",
    "Wang",
]

_ZH_PLACES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("广东省", "深圳市", ("南山区", "福田区", "宝安区")),
    ("广东省", "广州市", ("天河区", "越秀区", "番禺区")),
    ("浙江省", "杭州市", ("西湖区", "滨江区", "余杭区")),
    ("江苏省", "南京市", ("鼓楼区", "玄武区", "江宁区")),
    ("四川省", "成都市", ("武侯区", "锦江区", "高新区")),
    ("湖北省", "武汉市", ("洪山区", "江汉区", "武昌区")),
    ("", "北京市", ("朝阳区", "海淀区", "东城区", "昌平区")),
    ("", "上海市", ("浦东新区", "徐汇区", "静安区", "闵行区")),
    ("山东省", "青岛市", ("市南区", "崂山区", "黄岛区")),
    ("河南省", "郑州市", ("金水区", "中原区", "二七区")),
)
_ROADS = (
    "科技园路",
    "文三路",
    "人民路",
    "解放路",
    "中山路",
    "南京东路",
    "建国门外大街",
    "长安街",
    "学院路",
    "滨江大道",
    "天府大道",
    "珞喻路",
    "香港中路",
    "花园路",
    "光明街",
    "幸福巷",
    "梧桐路",
    "东风路",
)
_ESTATES = (
    "阳光花园",
    "万科城",
    "碧桂园",
    "翠湖小区",
    "金色家园",
    "锦绣公寓",
    "华润大厦",
    "保利广场",
    "和平新村",
    "幸福里小区",
)
_EN_STREETS = (
    "Baker Street",
    "Main Street",
    "Oak Avenue",
    "Maple Drive",
    "Park Road",
    "Sunset Boulevard",
    "Elm Lane",
)
_EN_CITIES = (
    "London",
    "San Francisco, CA 94107",
    "Seattle, WA 98101",
    "New York, NY 10001",
    "Toronto",
    "Sydney",
)
_MODELS = (
    "iPhone 15 Pro Max",
    "RTX4090",
    "SM-G9980",
    "A2338",
    "XQ-65X90K",
    "TH-55LX800C",
    "Mate 60 Pro",
    "MX-3000",
    "KD-65X85L",
)


def chinese_name(rng: random.Random) -> str:
    surname = rng.choice(_COMPOUND) if rng.random() < 0.05 else rng.choice(_SURNAMES)
    given = "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2))))
    if len(given) == 2 and rng.random() < 0.15:  # 王小明, 李小红: 小 starts many given names
        given = "小" + given[1]
    return surname + given


def not_a_name(rng: random.Random) -> str:
    """What follows 我是 in a message and is not a name, though many start with a surname character."""
    return rng.choice(_NOT_NAMES)


def called_for(rng: random.Random) -> str:
    """What follows 我叫 (I called) and is not a name: 我叫快递来取件."""
    return rng.choice(("快递", "快递员", "外卖", "顺丰", "师傅", "物业"))


def local_address(rng: random.Random) -> str:
    """Loopback and unspecified hosts as URLs write them; they identify nobody (operators' logs hold them)."""
    return rng.choice(("127.0.0.1", "127.0.1.1", "0.0.0.0", "[::1]", "[::]", "[::ffff:127.0.0.1]"))


def chinese_surname(rng: random.Random) -> str:
    return rng.choice(_SURNAMES)


def english_name(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return rng.choice(_EN_FIRST)
    return f"{rng.choice(_EN_FIRST)} {rng.choice(_EN_LAST)}"


def english_surname(rng: random.Random) -> str:
    return rng.choice(_EN_LAST)


def chinese_address(rng: random.Random) -> str:
    province, city, districts = rng.choice(_ZH_PLACES)
    parts = []
    style = rng.random()
    if style < 0.5:
        parts += [province, city, rng.choice(districts)]
    elif style < 0.8:
        parts += [city, rng.choice(districts)]
    else:
        parts += [rng.choice(districts)]
    parts += [rng.choice(_ROADS), f"{rng.randint(1, 999)}号"]
    if rng.random() < 0.5:
        parts.append(rng.choice(_ESTATES))
    if rng.random() < 0.7:
        parts.append(f"{rng.randint(1, 30)}" + rng.choice(("栋", "幢", "号楼")))
        if rng.random() < 0.6:
            parts.append(f"{rng.randint(1, 6)}单元")
        parts.append(f"{rng.randint(1, 33)}{rng.randint(1, 8):02d}" + rng.choice(("室", "室", "")))
    return "".join(parts)


def english_address(rng: random.Random) -> str:
    line = f"{rng.randint(1, 9999)} {rng.choice(_EN_STREETS)}"
    if rng.random() < 0.3:
        line += f", Apt {rng.randint(1, 40)}{rng.choice('ABCD')}"
    return f"{line}, {rng.choice(_EN_CITIES)}"


def order_number(rng: random.Random) -> str:
    """Order numbers as shops issue them, including Luhn-valid ones with card-like prefixes."""
    date = f"20{rng.randint(20, 26)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    style = rng.random()
    if style < 0.3:
        return date + digits(rng, rng.randint(6, 12))
    if style < 0.45:
        return rng.choice(("E", "DD", "TB", "PDD")) + date + digits(rng, rng.randint(4, 8))
    if style < 0.6:  # card-shaped and Luhn-valid: only the 订单号 cue tells it apart
        return luhn_complete(rng.choice(("62", "4", "52")) + digits(rng, 13 if rng.random() < 0.5 else 14))
    if style < 0.75:  # 11 digits, but not an allocated mobile prefix
        return rng.choice(("10", "11", "12", "20", "50", "80")) + digits(rng, 9)
    # Any length except 11 digits starting with 1: those are plausible mobiles, which the masker treats as
    # phones even after 订单号 (privacy wins), so labelling them order numbers would be contradictory.
    length = rng.choice((10, 12, 13, 14, 15, 16, 17, 18, 19, 20))
    return str(rng.randint(1, 9)) + digits(rng, length - 1)


def tracking_number(rng: random.Random) -> str:
    style = rng.random()
    if style < 0.5:
        return rng.choice(("SF", "YT", "JD", "ZTO", "YD", "JT")) + digits(rng, rng.randint(12, 13))
    return rng.choice(("7", "4", "3", "5", "9")) + digits(rng, rng.randint(11, 14))


def amount(rng: random.Random) -> str:
    value = rng.randint(1, 99999999)
    return rng.choice(
        (
            f"¥{value / 100:,.2f}",
            f"￥{value // 100}",
            f"{value}元",
            f"${value / 100:,.2f}",
            f"{value / 100:.2f}块",
            f"RMB {value:,}",
        )
    )


def date_or_time(rng: random.Random) -> str:
    year, month, day = rng.randint(2019, 2026), rng.randint(1, 12), rng.randint(1, 28)
    second = rng.randint(0, 59)
    return rng.choice(
        (
            f"{year}-{month:02d}-{day:02d}",
            f"{year}年{month}月{day}日",
            f"{year}{month:02d}{day:02d}",
            f"{month:02d}/{day:02d}/{year}",
            f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
            f"{year}-{month:02d}-{day:02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{second:02d}",
        )
    )


def model_number(rng: random.Random) -> str:
    return rng.choice(_MODELS)


def coupon_code(rng: random.Random) -> str:
    letters = string.ascii_uppercase + string.digits
    return rng.choice(
        (
            "".join(rng.choice(letters) for _ in range(10)),
            "-".join("".join(rng.choice(letters) for _ in range(4)) for _ in range(3)),
            "VIP" + digits(rng, 4) + "SALE",
            digits(rng, 4) + " " + digits(rng, 4) + " " + digits(rng, 4),
        )
    )
