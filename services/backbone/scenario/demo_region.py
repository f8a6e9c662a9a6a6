"""The demo region's agencies (deploy/kafka/topology.toml) and the story's region."""

from __future__ import annotations

from typing import Final

REGION: Final = "turkestan"  # every story child's case is handled for Turkestan oblast

MOBILE: Final = "mobile.turkestan.q1-raid"
POLICE: Final = "police.turkestan"
GUARDIANSHIP: Final = "guardianship.turkestan"
NGO: Final = "ngo.shymkent.sana-sezim"
PHC: Final = "phc.turkestan.polyclinic-3"
SCHOOL: Final = "school.turkestan.school-12"
SOCIAL: Final = "social.turkestan"
CENTRE: Final = "centre.shymkent.support-centre"
HOTLINE: Final = "hotline.national.116-16"

DEMO_AGENCIES: Final = (
    POLICE,
    MOBILE,
    GUARDIANSHIP,
    NGO,
    PHC,
    SCHOOL,
    SOCIAL,
    CENTRE,
    HOTLINE,
)
