"""The knowledge-intensive business service (KIBS) sectors, by KSIC code.

The codes are identical in KSIC Rev. 9, 10 and 11. Management consulting is 7153, not 715
(7151 is head offices). ``kind`` splits technology from professional services, as in the
KIET 2014 study (i-KIET Issues & Analysis No. 582).
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("technology", "professional")
"""The two kinds of KIBS the KIET study (and the Gangnam contrast) compare."""


@dataclass(frozen=True)
class Sector:
    ksic: str
    name_en: str
    name_ko: str
    kind: str  # "technology" or "professional"

    @property
    def field_prefix(self) -> str:
        """Prefix of this sector's fields in wide outputs, e.g. ``s732``."""
        return f"s{self.ksic}"


KIBS_SECTORS: tuple[Sector, ...] = (
    Sector("582", "software publishing", "소프트웨어 개발 및 공급업", "technology"),
    Sector("62", "computer programming, systems integration", "컴퓨터 프로그래밍, 시스템 통합 및 관리업", "technology"),
    Sector("63", "information services", "정보서비스업", "technology"),
    Sector("701", "natural science and engineering R&D", "자연과학 및 공학 연구개발업", "technology"),
    Sector("702", "humanities and social science R&D", "인문 및 사회과학 연구개발업", "professional"),
    Sector("711", "legal services", "법무관련 서비스업", "professional"),
    Sector("712", "accounting and tax", "회계 및 세무관련 서비스업", "professional"),
    Sector("713", "advertising", "광고업", "professional"),
    Sector("714", "market research and polling", "시장조사 및 여론조사업", "professional"),
    Sector("7153", "management consulting", "경영컨설팅업", "professional"),
    Sector("7211", "architecture and landscape design", "건축 및 조경 설계 서비스업", "technology"),
    Sector("7212", "engineering services", "엔지니어링 서비스업", "technology"),
    Sector("7291", "technical testing and analysis", "기술시험, 검사 및 분석업", "technology"),
    Sector("732", "specialized design", "전문 디자인업", "professional"),
)

SECTORS_BY_CODE: dict[str, Sector] = {s.ksic: s for s in KIBS_SECTORS}


def get_sectors(codes: list[str] | None = None) -> tuple[Sector, ...]:
    """The KIBS sectors with the given KSIC codes (all 14 when ``codes`` is None)."""
    if codes is None:
        return KIBS_SECTORS
    unknown = [c for c in codes if str(c) not in SECTORS_BY_CODE]
    if unknown:
        known = ", ".join(SECTORS_BY_CODE)
        raise ValueError(f"unknown KIBS sector code(s) {', '.join(map(str, unknown))}; known codes: {known}")
    return tuple(SECTORS_BY_CODE[str(c)] for c in codes)
