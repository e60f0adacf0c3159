"""Phrase banks for the library demo (:mod:`techforce.library.synth`): one topic per theme of
the technical-workforce legacy suite, each with its own vocabulary so that keyword and
semantic search have something to find, and an *anchor* resource whose title and text hold
words no other resource holds all of (the known queries of :data:`synth.KNOWN_QUERIES`).

Organisations and people are invented."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    """A theme: ``anchor`` is the one resource that answers ``query`` first."""

    key: str
    name: str
    pillars: tuple[str, ...]
    keywords: tuple[str, ...]
    sentences: tuple[str, ...]
    query: str
    anchor_slug: str
    anchor_title: str
    anchor_kind: str
    anchor_sentences: tuple[str, ...]


TOPICS: tuple[Topic, ...] = (
    Topic(
        "registration",
        "professional registration",
        ("recognition", "career-development"),
        ("professional registration", "RSci", "CSci", "licensed body"),
        (
            "Professional registration gives technicians a post-nominal that employers and peers recognise.",
            "Registered Scientist (RSci) suits technicians who apply scientific knowledge with some autonomy.",
            "Chartered Scientist (CSci) is for experienced staff who lead and innovate in their specialism.",
            "A licensed professional body reviews each application against published competences.",
            "Registration fees can be met by the employer as part of its commitment to technicians.",
            "Competence statements should describe what you did, the judgement you used and the outcome.",
        ),
        "RSciTech application mentor",
        "preparing-an-rscitech-application",
        "Preparing an RSciTech application with a mentor",
        "guide",
        (
            "The Registered Science Technician (RSciTech) award is often the first step on the register.",
            "A mentor reads the draft RSciTech application and checks each competence has evidence.",
            "Most RSciTech applicants finish within three months when a mentor meets them fortnightly.",
        ),
    ),
    Topic(
        "self-assessment",
        "Technician Commitment self-assessment",
        ("visibility", "recognition", "career-development", "sustainability"),
        ("Technician Commitment", "self-assessment", "action plan", "signatory"),
        (
            "Signatories of the Technician Commitment review their progress against the four pillars.",
            "The self-assessment asks institutions to rate maturity from emerging to embedded.",
            "A steering group of technicians and managers agrees the ratings and the evidence.",
            "The action plan names an owner, a deadline and a measure for every commitment.",
            "Progress reports are published every two years so that the sector can learn.",
        ),
        "self-assessment evidence grid",
        "technician-commitment-self-assessment-evidence-grid",
        "Technician Commitment self-assessment evidence grid",
        "template",
        (
            "The evidence grid lists, for each pillar, the self-assessment statement and the evidence held.",
            "Use the evidence grid to mark gaps in self-assessment evidence before the steering group meets.",
        ),
    ),
    Topic(
        "apprenticeships",
        "apprenticeships",
        ("career-development", "sustainability"),
        ("apprenticeship", "laboratory technician standard", "end-point assessment"),
        (
            "Apprenticeships bring new entrants into laboratories, workshops and studios.",
            "The laboratory technician standard sets out the knowledge, skills and behaviours required.",
            "An end-point assessment checks the apprentice against the standard after the gateway.",
            "Line managers need protected time to supervise apprentices in off-the-job training.",
            "Degree apprenticeships let existing staff progress without leaving employment.",
        ),
        "apprenticeship levy transfer",
        "using-the-apprenticeship-levy-transfer",
        "Using the apprenticeship levy transfer for technician apprentices",
        "explainer",
        (
            "A levy transfer lets a large employer pass unused apprenticeship levy funds to a partner.",
            "Universities used the levy transfer to fund technician apprentices at smaller colleges.",
        ),
    ),
    Topic(
        "succession",
        "succession planning",
        ("sustainability",),
        ("succession planning", "workforce planning", "knowledge transfer"),
        (
            "Succession planning identifies roles whose loss would stop teaching or research.",
            "Knowledge transfer between experienced and new staff takes structured shadowing.",
            "Workforce planning uses age profiles to see where expertise is concentrated.",
            "Critical equipment often depends on a single person who knows its history.",
            "Phased retirement lets experienced technicians pass on tacit knowledge.",
        ),
        "succession planning retirement cliff",
        "facing-the-retirement-cliff",
        "Facing the retirement cliff: succession planning for technical teams",
        "report",
        (
            "A retirement cliff appears when many senior technicians reach retirement in the same few years.",
            "Our survey found a retirement cliff in engineering workshops, where a third of staff are over sixty.",
        ),
    ),
    Topic(
        "visibility",
        "visibility of technicians in research outputs",
        ("visibility",),
        ("research outputs", "authorship", "acknowledgement", "contributor roles"),
        (
            "Technicians design methods, run instruments and curate data, yet are rarely named in papers.",
            "Acknowledgement sections should name technical staff and describe their contribution.",
            "Authorship criteria apply to technicians as to any other contributor.",
            "Research information systems can record technical contributions to outputs.",
            "Funders increasingly ask how technical staff are recognised in research outputs.",
        ),
        "CRediT contributor taxonomy technicians",
        "crediting-technicians-with-the-credit-taxonomy",
        "Crediting technicians with the CRediT contributor taxonomy",
        "framework",
        (
            "The CRediT taxonomy defines fourteen contributor roles, such as methodology and resources.",
            "Recording technicians against CRediT roles makes their contribution visible in the metadata.",
        ),
    ),
    Topic(
        "awards",
        "recognition awards",
        ("recognition",),
        ("awards", "nomination", "recognition", "celebration"),
        (
            "Recognition schemes celebrate technicians whose work made a difference to others.",
            "Nominations can come from colleagues, students and researchers.",
            "Award panels should include technicians as well as senior managers.",
            "Celebration events raise the profile of technical teams across the institution.",
            "Shortlisted nominees receive written feedback and a certificate.",
        ),
        "technician of the year nomination criteria",
        "technician-of-the-year-nomination-criteria",
        "Technician of the Year: nomination criteria and judging",
        "guide",
        (
            "The Technician of the Year award has four nomination criteria: impact, innovation, teamwork and teaching.",
            "Judges score each nomination against the criteria before the awards ceremony.",
        ),
    ),
    Topic(
        "leadership",
        "strategic leadership of technicians",
        ("visibility", "sustainability"),
        ("strategic leadership", "technical services", "governance"),
        (
            "A technician in a strategic role can speak for the technical community at senior level.",
            "Strategic leadership means technicians shape decisions on space, equipment and staffing.",
            "Governance structures should give technical leaders a seat where budgets are set.",
            "Heads of technical services coordinate teams that were once scattered across departments.",
            "Leadership development programmes prepare technicians for institutional roles.",
        ),
        "director of technical services board",
        "a-director-of-technical-services-on-the-board",
        "A director of technical services on the executive board",
        "case-study",
        (
            "Appointing a director of technical services to the executive board changed how investments were planned.",
            "The director of technical services reports on the technical workforce to the board each term.",
        ),
    ),
    Topic(
        "careers",
        "technician careers",
        ("career-development",),
        ("career pathways", "job families", "progression", "grading"),
        (
            "Career pathways show how a technician can progress from trainee to senior specialist.",
            "Job families group roles with similar skills so that progression routes are clear.",
            "Grading reviews check that technical roles are paid fairly for their responsibility.",
            "Secondments into other teams broaden a technician's experience.",
            "Career conversations should happen at least once a year, separate from appraisal.",
        ),
        "technical job family grade descriptors",
        "technical-job-family-grade-descriptors",
        "Technical job family: grade descriptors from trainee to principal",
        "framework",
        (
            "Grade descriptors set out what a technician does at each grade of the technical job family.",
            "The grade descriptors run from trainee through specialist to principal technician.",
        ),
    ),
    Topic(
        "census",
        "technical workforce data",
        ("sustainability", "visibility"),
        ("workforce data", "headcount", "census", "dataset"),
        (
            "Workforce data shows how many technicians work in each subject area and grade.",
            "Headcount and full-time equivalent figures are published with small numbers suppressed.",
            "A census repeated every few years reveals trends in age, contract type and turnover.",
            "Data definitions must match the national staff record so that institutions compare fairly.",
        ),
        "census headcount by discipline",
        "technical-workforce-census-headcount",
        "Technical workforce census: headcount by discipline",
        "dataset",
        (
            "The technical workforce census counts technicians by discipline, grade and contract.",
            "Headcount in the census is given per institution and year.",
        ),
    ),
    Topic(
        "cpd",
        "continuing professional development",
        ("career-development",),
        ("CPD", "training", "learning", "development"),
        (
            "Continuing professional development keeps skills current as techniques change.",
            "Training budgets for technicians should be visible and fairly allocated.",
            "Learning can come from conferences, courses, peer visits and online modules.",
            "A development review agrees goals and the support needed to reach them.",
        ),
        "CPD hours log reflective record",
        "cpd-hours-log-and-reflective-record",
        "CPD hours log and reflective record",
        "template",
        (
            "Keep a CPD hours log with the date, activity, hours and what you learned.",
            "The reflective record asks how each CPD activity changed your practice.",
        ),
    ),
    Topic(
        "inclusion",
        "equality, diversity and inclusion",
        ("sustainability", "recognition"),
        ("equality", "diversity", "inclusion", "gender balance"),
        (
            "Technical roles remain unevenly balanced by gender in engineering and physical sciences.",
            "Inclusive recruitment removes unnecessary degree requirements from technical posts.",
            "Flexible working helps technicians with caring responsibilities stay in the profession.",
            "Networks for under-represented technicians offer peer support and visibility.",
        ),
        "gender balance engineering workshops",
        "gender-balance-in-engineering-workshops",
        "Gender balance in engineering workshops",
        "report",
        (
            "Engineering workshops had the lowest gender balance of any technical area we studied.",
            "Workshops that advertised part-time posts improved their gender balance within five years.",
        ),
    ),
    Topic(
        "facilities",
        "shared research facilities",
        ("sustainability", "visibility"),
        ("core facilities", "shared equipment", "instrument scientists"),
        (
            "Shared facilities concentrate expensive instruments and the expertise to run them.",
            "Instrument scientists train users and develop new methods on shared equipment.",
            "Cost recovery models should include the time of the technical staff who run facilities.",
            "Booking systems show how heavily equipment is used across departments.",
        ),
        "core facility staffing model cost recovery",
        "core-facility-staffing-model",
        "A staffing model for core facilities with full cost recovery",
        "toolkit",
        (
            "The core facility staffing model sets staff numbers from instrument hours and user training.",
            "Full cost recovery in the staffing model funds posts from internal and external charges.",
        ),
    ),
    Topic(
        "green-labs",
        "sustainable laboratories",
        ("sustainability",),
        ("green labs", "energy", "waste", "sustainable practice"),
        (
            "Technicians lead many of the changes that make laboratories more sustainable.",
            "Freezer management and fume cupboard sashes are large levers on energy use.",
            "Waste streams can be reduced by sharing chemicals and reusing consumables.",
            "Sustainable practice should count towards technicians' recognition and promotion.",
        ),
        "LEAF laboratory efficiency assessment framework",
        "leaf-laboratory-efficiency-assessment",
        "Getting started with LEAF, the laboratory efficiency assessment framework",
        "presentation",
        (
            "LEAF, the laboratory efficiency assessment framework, awards bronze, silver and gold levels.",
            "Technicians usually coordinate the LEAF assessment for their laboratory.",
        ),
    ),
    Topic(
        "induction",
        "induction of new technicians",
        ("career-development", "sustainability"),
        ("induction", "onboarding", "buddy", "probation"),
        (
            "A good induction helps new technicians become effective and stay.",
            "A buddy from the team answers everyday questions in the first weeks.",
            "Safety training, access and systems accounts should be ready on the first day.",
            "Probation reviews check that training has been completed and support is working.",
        ),
        "induction checklist first week buddy",
        "new-technician-induction-checklist",
        "New technician induction checklist: the first week",
        "toolkit",
        (
            "The induction checklist covers the first week day by day, with the buddy's tasks marked.",
            "Tick each item on the induction checklist and return it to your line manager.",
        ),
    ),
)

GENERAL = (
    "The findings draw on interviews, surveys and workshops with technicians and their managers.",
    "Institutions of every size can adapt the approach to their own structures.",
    "We thank the technicians who gave their time to this work.",
    "Where figures are shown, small numbers have been suppressed to protect individuals.",
    "The recommendations are grouped by who can act on them: institutions, funders and technicians.",
    "Examples come from universities, colleges and research institutes across the country.",
)

TITLE_PATTERNS = {
    "report": ("{Name}: findings from a national study", "The state of {name} in higher education"),
    "guide": ("A practical guide to {name}", "{Name}: a step-by-step guide"),
    "explainer": ("{Name} explained", "What is {name} and why it matters"),
    "template": ("{Name}: self-assessment template", "{Name} planning template"),
    "framework": ("A framework for {name}", "{Name}: maturity framework"),
    "case-study": ("{Name} at {org}: a case study", "How {org} approached {name}"),
    "video": ("{Name} in five minutes", "Technicians talk about {name}"),
    "dataset": ("{Name}: survey data", "{Name} indicators by institution"),
    "toolkit": ("{Name} toolkit", "A toolkit for {name}"),
    "presentation": ("{Name}: conference presentation", "Briefing slides on {name}"),
}

ORGANISATIONS = (
    "Northbridge University",
    "University of Eastmoor",
    "Midland Institute of Technology",
    "Westhaven College",
    "National Technician Development Network",
    "Council for Technical Professions",
    "Institute for Research Infrastructure",
    "Southfield Research Institute",
    "Technical Skills Partnership",
    "Association of Laboratory Managers",
)
FIRST_NAMES = (
    "Amara", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Isla", "Jonah",
    "Kiran", "Lena", "Mateo", "Nia", "Owen", "Priya", "Rory", "Sana", "Tomas", "Yusuf",
)  # fmt: skip
LAST_NAMES = (
    "Ashdown", "Brightwell", "Carrow", "Delacourt", "Ellery", "Fenwick", "Gorse", "Harrowby",
    "Inchley", "Jessop", "Kestle", "Linford", "Marchant", "Northey", "Oakridge", "Pennock",
)  # fmt: skip
LICENCES = ("CC-BY-4.0",) * 8 + ("CC-BY-SA-4.0", "CC-BY-NC-4.0", "OGL-UK-3.0")
RESTRICTED = ("signed-in", "role:provider-lead", "role:programme-manager")
