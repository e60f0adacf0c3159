"""Phrase banks for the demo interview study (see :mod:`techforce.research.synth`).

Everything here is plain data: the interview protocol, the codebook (definitions, inclusion
and exclusion rules) and, per code, spoken sentences that an interviewee might say about it.
Sentences may carry slots filled per interviewee ({dept}, {facility}, {n}, {grade}, {year},
{colleague}, {boss}, {network}). A sentence starting ``T|`` is only said by technicians,
``F|`` only by technicians in a formal strategic role, ``N|`` only by those in an informal one,
``S|`` only by senior leaders who are not technicians; others by anyone. A ``!`` after the
tag marks one of several sentences that cannot all be true of one person (where they came
from): an interviewee says at most one of them.
"""

from __future__ import annotations

TOPICS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Roles and responsibilities",
        (
            "Could you start by describing your current role and what it involves day to day?",
            "Which parts of your portfolio would you call strategic, and which are operational?",
            "Who do you report to, and who reports to you?",
            "How much of your time goes on the technical workforce as a whole?",
        ),
    ),
    (
        "Careers",
        (
            "How did you get to where you are now?",
            "What does career progression look like for technical staff here?",
            "Has professional registration or other recognition played a part in your career?",
            "Where do you see your own career going from here?",
        ),
    ),
    (
        "Support and development",
        (
            "What support or development have you had for the strategic side of the role?",
            "Who has mentored or coached you, formally or informally?",
            "What support would you like to have had, or would like now?",
            "How do you keep in touch with peers in similar roles elsewhere?",
        ),
    ),
    (
        "How the role was created",
        (
            "How did your role, or the strategic technical role here, come about?",
            "Who championed it, and what was the case that was made?",
            "Did the Technician Commitment play any part in it?",
        ),
    ),
    (
        "How the role should develop",
        (
            "How would you like the role to develop over the next few years?",
            "What would need to change for the role to have more influence?",
            "How should the institution plan for succession in technical leadership?",
        ),
    ),
    (
        "Challenges",
        (
            "What are the biggest challenges you face in the role?",
            "Are there decisions affecting technical staff that you are not part of?",
            "How do you manage risks in the technical workforce, such as skills or retirements?",
            "What gets in the way of technicians being recognised?",
        ),
    ),
    (
        "Benefits",
        (
            "What difference has having a strategic technical lead made?",
            "Who benefits most, technicians, researchers or the institution?",
            "Can you give an example of something that would not have happened without the role?",
        ),
    ),
    (
        "Definitions",
        (
            "How would you define a strategic technical leader?",
            "Is there a difference between a formal and an informal strategic role?",
            "Where does technical leadership end and general management begin?",
        ),
    ),
)

# (parent, child, definition, inclusion, exclusion)
CODEBOOK: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "Roles and responsibilities",
        "Portfolio and remit",
        "What the strategic technical role covers: the areas, budgets and staff it is accountable for.",
        "Descriptions of remit, areas of responsibility, budgets held, facilities overseen.",
        "How the remit came about (use How the role was created).",
    ),
    (
        "Roles and responsibilities",
        "Line management",
        "Managing technical staff directly or through team leaders.",
        "Reporting lines, team size, appraisals, recruitment of technicians.",
        "Informal mentoring of staff (use Support and development > Mentoring and coaching).",
    ),
    (
        "Roles and responsibilities",
        "Workforce strategy and planning",
        "Planning the technical workforce as a whole: numbers, skills, structures, data.",
        "Workforce plans, skills audits, job family design work, technical strategy documents.",
        "Complaints about missing data (use Challenges > Workforce data).",
    ),
    (
        "Roles and responsibilities",
        "Operational duties",
        "Day-to-day technical or facility work done alongside the strategic role.",
        "Running equipment, health and safety, firefighting, covering gaps on the bench.",
        "Workload as a problem in itself (use Challenges > Workload and capacity).",
    ),
    (
        "Careers",
        "Route into the role",
        "How the interviewee reached their current position.",
        "Earlier jobs, apprenticeships, moves from industry or research, promotions.",
        "Future ambitions (use Careers > Future career).",
    ),
    (
        "Careers",
        "Grade ceilings and progression",
        "Limits on promotion and progression for technical staff, especially at grade 8.",
        "Grade ceilings, regrading, promotion criteria, having to leave to progress.",
        "Job family structures as such (use Careers > Job families and role profiles).",
    ),
    (
        "Careers",
        "Job families and role profiles",
        "The structures that define technical jobs: job families, role profiles, titles.",
        "Technical job families, generic role profiles, the number of job titles.",
        "Individual promotion stories (use Grade ceilings and progression).",
    ),
    (
        "Careers",
        "Professional registration and recognition",
        "Professional registration and other formal recognition of technical staff.",
        "RSciTech, RSci, CSci, EngTech, IEng, CEng, HEA fellowship, awards.",
        "Recognition by senior leaders in general (use Challenges > Visibility and recognition).",
    ),
    (
        "Careers",
        "Future career",
        "Where the interviewee hopes or expects their career to go.",
        "Ambitions, plans to move, retirement plans, next roles.",
        "Succession planning for the institution (use How the role should develop).",
    ),
    (
        "Support and development",
        "Leadership programmes",
        "Structured leadership development the interviewee has taken part in.",
        "Herschel Programme, Executive Programme in Strategic Technical Leadership, in-house courses.",
        "Networks that are not programmes (use Networks and peer support).",
    ),
    (
        "Support and development",
        "Mentoring and coaching",
        "One-to-one support: formal or informal mentors, coaches, sponsors.",
        "Named or unnamed mentors, coaching, sponsorship by senior staff.",
        "Line management relationships described only as reporting lines.",
    ),
    (
        "Support and development",
        "Networks and peer support",
        "Peers in similar roles, inside and outside the institution.",
        "TALENT, UK ITSS, regional technical networks, consortium groups, informal peer calls.",
        "Influence on national policy (use How the role should develop > Sector influence).",
    ),
    (
        "Support and development",
        "Development wanted",
        "Support or development the interviewee lacked or would like.",
        "Gaps in training, wishes for coaching, finance or HR skills, protected time.",
        "Development already received (use the other children).",
    ),
    (
        "How the role was created",
        "Restructure",
        "The role was created or reshaped as part of an organisational restructure.",
        "Restructures, reviews of professional services, mergers of schools or faculties.",
        "Roles that grew gradually without a formal change (use Informal evolution).",
    ),
    (
        "How the role was created",
        "Technician Commitment as catalyst",
        "Signing or implementing the Technician Commitment led to the role.",
        "Commitment action plans, self-assessments, steering groups that led to a post.",
        "Technician Commitment work done by an existing role (use Roles and responsibilities).",
    ),
    (
        "How the role was created",
        "Senior champion",
        "A senior person made the case for, or sponsored, the role.",
        "PVCs, registrars, COOs or deans who argued for the role or funded it.",
        "Ongoing senior support after creation (use Benefits or Challenges).",
    ),
    (
        "How the role was created",
        "Informal evolution",
        "The strategic role grew out of another job without a formal decision.",
        "Taking on institution-wide work bit by bit, being asked because nobody else would.",
        "Formal appointments (use Restructure or Senior champion).",
    ),
    (
        "How the role should develop",
        "Seat at the table",
        "Wanting the role represented on the bodies where decisions are made.",
        "Membership of executive, estates, research or people committees.",
        "Being left out now (use Challenges > Exclusion from decision-making).",
    ),
    (
        "How the role should develop",
        "Portfolio growth",
        "Areas the role should take on or be formally given.",
        "Adding budgets, facilities, training, data or recruitment to the portfolio.",
        "The current remit (use Roles and responsibilities > Portfolio and remit).",
    ),
    (
        "How the role should develop",
        "Succession planning",
        "Planning for who leads technical staff after the current post holder.",
        "Deputies, development of future leaders, what happens when the post holder leaves.",
        "Retirement risk in the wider workforce (use Challenges > Single points of failure).",
    ),
    (
        "How the role should develop",
        "Sector influence",
        "Influencing the sector beyond the institution.",
        "National working groups, policy, funders, professional bodies, conferences.",
        "Peer support for oneself (use Support and development > Networks and peer support).",
    ),
    (
        "Challenges",
        "Exclusion from decision-making",
        "Being left out of committees or decisions that affect technical staff.",
        "Not being invited, hearing about decisions late, papers written without technical input.",
        "Wishes for future membership (use How the role should develop > Seat at the table).",
    ),
    (
        "Challenges",
        "Workload and capacity",
        "Too much to do for the time and resources the role has.",
        "Hours, doing two jobs, no administrative support, strategic work squeezed out.",
        "Ordinary description of operational duties (use Roles and responsibilities).",
    ),
    (
        "Challenges",
        "Single points of failure",
        "Skills or knowledge held by one person, and retirement risk.",
        "One person who can run an instrument, an ageing workforce, knowledge lost on leaving.",
        "Recruitment difficulties for other reasons (use Workload and capacity).",
    ),
    (
        "Challenges",
        "Visibility and recognition",
        "Technical staff and their leaders not being seen or valued.",
        "Invisible work, not named on papers, 'support staff' language, lack of thanks.",
        "Formal registration schemes (use Careers > Professional registration and recognition).",
    ),
    (
        "Challenges",
        "Workforce data",
        "Not knowing who the technical staff are, or lacking data about them.",
        "Job titles that hide technicians, HR systems, age profiles, HESA returns.",
        "Using data well once it exists (use Roles and responsibilities > Workforce strategy).",
    ),
    (
        "Challenges",
        "Funding and costing",
        "Money for technical posts, including costing technicians into grants.",
        "Fixed-term posts, grants that do not cost technical time, budget cuts.",
        "Pay and grading (use Careers > Grade ceilings and progression).",
    ),
    (
        "Benefits",
        "Benefits for technical staff",
        "What the role has brought technicians themselves.",
        "A voice, career paths, development opportunities, someone to go to.",
        "Benefits to researchers or the institution.",
    ),
    (
        "Benefits",
        "Benefits for research and teaching",
        "What the role has brought to research and teaching.",
        "Shared facilities, better equipment use, grant support, teaching labs.",
        "Benefits to technical staff themselves.",
    ),
    (
        "Benefits",
        "Benefits for the institution",
        "What the role has brought to the institution as a whole.",
        "Compliance, efficiency, reputation, Technician Commitment progress, REF and TEF.",
        "Benefits to individual groups of staff.",
    ),
    (
        "Definitions",
        "What a strategic technical leader is",
        "How the interviewee defines strategic technical leadership.",
        "Definitions, criteria, what makes a role strategic rather than operational.",
        "Descriptions of the interviewee's own duties (use Roles and responsibilities).",
    ),
    (
        "Definitions",
        "Formal and informal roles",
        "The difference between appointed and unrecognised strategic roles.",
        "Acting without a title, job descriptions that do not match the work, recognition of informal leaders.",
        "How a formal role was created (use How the role was created).",
    ),
    (
        "Definitions",
        "Technical and general management",
        "Where technical leadership meets professional services or general management.",
        "Boundaries with operations directors, faculty managers, estates.",
        "Definitions of technicians in data (use Challenges > Workforce data).",
    ),
)

COLOURS: tuple[str, ...] = (
    "#1b9e77",
    "#d95f02",
    "#7570b3",
    "#e7298a",
    "#66a61e",
    "#e6ab02",
    "#a6761d",
    "#666666",
)

BANKS: dict[str, tuple[str, ...]] = {
    "Portfolio and remit": (
        "T|On paper I'm responsible for about {n} technical staff across {dept} and two other schools.",
        "T|The remit is really the whole technical estate, from teaching labs to {facility}.",
        "T|I hold the budget for shared equipment, which is small, but it means I get asked before anyone buys a big instrument.",
        "I'd say about a third of the job is genuinely strategic and the rest is keeping things running.",
        "The portfolio covers training, health and safety for technical areas, and the Technician Commitment action plan.",
        "F|Officially my title is Head of Technical Services, but the job description was written in {year} and hasn't caught up.",
        "It includes the apprenticeship scheme now, which nobody else wanted to own.",
        "S|The post holder leads on the technical workforce across all faculties and reports into my office.",
        "S|We gave the role oversight of every shared facility, including {facility}, so there is one view of the equipment.",
        "T|I look after the technical side of estates projects too – if a lab is being refurbished, I’m in the room.",
    ),
    "Line management": (
        "F|I've got five direct reports, the technical managers, and through them about {n} people.",
        "T|Appraisals alone take me most of June, and I try to do every one properly.",
        "T|Some technicians are still line managed by academics, which makes consistency really hard.",
        "F|When we recruit now, I sit on every panel for grade 6 and above.",
        "We moved to a central line management model, so technicians report through technical managers rather than to PIs.",
        "S|Line management of technicians sits with the technical lead rather than with individual research groups.",
        "T|{colleague} runs the teaching labs team day to day and reports to me.",
        "There's a tension between the PI who funds someone and the technical manager who appraises them.",
        "T|I still have a couple of people in {facility} reporting straight to me because there's nobody else at the right grade.",
    ),
    "Workforce strategy and planning": (
        "T|I wrote the first technical workforce plan we've ever had, in {year}.",
        "T|We did a skills audit of all {n} technicians, which took a year but showed us where the gaps were.",
        "Part of the job is looking five years ahead – which instruments are coming, which skills we'll need.",
        "We now pool technicians across {dept} so that a grant ending doesn't mean someone loses their job.",
        "S|I asked for a plan for the technical workforce the way we have one for academic staff, and the lead delivered it.",
        "T|I sit down with HR twice a year to go through vacancies, leavers and who is coming up to retirement.",
        "We've started mapping skills against equipment, so we know who can run what.",
        "T|The strategy is a single document now, signed off by the executive board, which felt like a milestone.",
        "S|The strategic lead brings us evidence – numbers, ages, grades – and that changes the conversation.",
    ),
    "Operational duties": (
        "T|I still do the radiation protection supervisor role, because nobody else is trained.",
        "T|If {facility} goes down on a Friday afternoon, it's still my phone that rings.",
        "T|Honestly, I spend Monday mornings on rotas and ordering before I even look at strategy.",
        "T|I kept some bench work on purpose – it keeps me credible with the teams.",
        "The operational side never goes away; it just gets squeezed into evenings.",
        "T|During the pandemic I was basically running the building, which was operational, but it got us noticed.",
        "S|I do worry that the lead is pulled back into operational firefighting too often.",
        "T|Health and safety inspections, waste contracts, gas cylinders – that all still lands on my desk.",
        "T|Last week I was fixing a fume cupboard alarm at seven in the morning, so strategic is relative.",
    ),
    "Route into the role": (
        "T|!I started as a lab assistant at sixteen and did my HNC part time.",
        "T|!I came from industry – twelve years in pharma – so the university way of doing things was a shock.",
        "T|!I was a postdoc first, and moved over to the technical side when my contract ran out.",
        "T|!I worked my way up through {facility}, from technician to facility manager, over about fifteen years.",
        "T|!I was an apprentice here in the nineties, and {colleague} took me under their wing.",
        "T|!My route in was the workshop – I'm a toolmaker by trade.",
        "S|!I came up through research administration, so I'm not a technician, but I've worked alongside them for twenty years.",
        "S|!My background is academic – I was head of {dept} before I took on this portfolio.",
        "F|I applied for the strategic role when it was advertised internally in {year}, half expecting not to get it.",
        "T|I did a degree in my thirties while working full time, which I wouldn't recommend to anyone.",
    ),
    "Grade ceilings and progression": (
        "T|Technical roles here stop at grade 8 – above that you have to become something else.",
        "T|I was at the top of grade {grade} for six years with nowhere to go.",
        "The only way up for a technician is usually to leave, or to wait for someone to retire.",
        "We managed to get one grade 9 technical post approved, and it took two years of papers.",
        "T|A lot of our best people have gone to industry because the pay is better and there's a ladder.",
        "S|I'll be honest, the grade structure wasn't designed with technical careers in mind.",
        "Regrading is the big one – people doing grade 7 work on grade 5 contracts because the role grew around them.",
        "T|There's no promotion round for technicians like there is for academics, you have to apply for a new job.",
        "The ceiling isn't written down, but everybody knows it's there.",
    ),
    "Job families and role profiles": (
        "We had 338 different job titles for technical staff when we counted – 338!",
        "T|We introduced a technical job family in {year}, with generic role profiles from grade 3 to grade 8.",
        "The job family helps, but it also fixed the ceiling in place, in a way.",
        "T|Half the technicians are hidden in other job families – administrative, or research support.",
        "S|The new job family was the first time HR really engaged with what technicians do.",
        "We're rewriting role profiles so that training and teaching count, not just equipment.",
        "T|Some people didn't want to move into the technical family because they thought it was a step down.",
        "Generic profiles make it easier to compare roles across faculties, which matters for fairness.",
    ),
    "Professional registration and recognition": (
        "T|I got RSciTech in {year} and then RSci, and it changed how I saw myself.",
        "T|I'm working towards CSci at the moment, and {colleague} is my assessor contact.",
        "We've paid the registration fees for anyone who wants to apply, and about forty have done it.",
        "T|EngTech has taken off in the workshop, the lads – well, and two women – were keen once one of them did it.",
        "Professional registration gives people letters after their name, and that matters when you're sitting next to professors.",
        "T|I'm an HEA fellow now, because so much of what we do is teaching in the labs.",
        "S|Registration gives us an external benchmark, which is useful when we argue about grading.",
        "T|We put technicians up for the institution's staff awards now, and two won last year.",
        "Some people say registration is just another badge, and they have a point if nothing follows from it.",
    ),
    "Future career": (
        "T|Honestly, I don't know where I go from here – there isn't a next step in this institution.",
        "T|I'd like to do a director-level role eventually, maybe covering research infrastructure as a whole.",
        "T|I'm fifty-nine, so part of my thinking now is what I leave behind.",
        "T|I've been approached about a role at another university, and I'm tempted because it's a grade higher.",
        "I'd love to see the first technical member of the executive board in my lifetime.",
        "T|I'd like to stay in a role like this and grow it, rather than move into general management.",
        "S|My own career isn't really the point here; I want to see theirs go somewhere.",
        "T|I might go part time in a couple of years and do more national work.",
    ),
    "Leadership programmes": (
        "T|I did the Herschel programme in {year}, and the Influencing and Negotiating module was the one that stuck.",
        "T|The Executive Programme in Strategic Technical Leadership was the first time anyone treated us as leaders.",
        "T|Our in-house leadership course was built for academics – half of it was about running a research group.",
        "We've sent eight women on Herschel so far, and the action learning sets have carried on afterwards.",
        "T|The Confidence and Empowerment module on Herschel made me cry, in a good way.",
        "S|We fund places on the Executive Programme now, because the first cohort came back with real plans.",
        "T|I did an ILM level 5 years ago, which was fine but very generic.",
        "Leadership courses help, but you need someone at the top to let you use what you learn.",
    ),
    "Mentoring and coaching": (
        "T|{colleague} mentored me for two years, informally, just coffee once a month.",
        "T|I was matched with a mentor from the professional services side, which opened my eyes to how decisions are made.",
        "T|I had six sessions with an executive coach, paid for out of a TALENT grant.",
        "S|I see myself as a sponsor for the role – I open doors, I don't tell them how to do it.",
        "A good mentor tells you which meetings matter and which ones you can skip.",
        "T|I mentor three technicians myself now, because nobody did it for me.",
        "T|Coaching helped me stop apologising for being in the room.",
        "T|My mentor was a retired technical director from another university – someone who'd been there.",
    ),
    "Networks and peer support": (
        "T|The {network} is where I go when I need to know how someone else handled something.",
        "Through TALENT I met people in exactly the same position, and suddenly I wasn't on my own.",
        "T|UK ITSS conferences are the one place where everyone understands what you do.",
        "We have a WhatsApp group of technical leads – I won't say it's always professional 😅",
        "T|There's a regional group that meets quarterly, and we share job descriptions, action plans, everything.",
        "S|I encourage the lead to spend time outside the institution; what comes back is worth it.",
        "T|Honestly, the peer network has done more for me than any course.",
        "T|I phoned {colleague} at another university before I wrote our job family proposal, and got their whole draft by return.",
    ),
    "Development wanted": (
        "T|What I really needed was finance training – reading a budget the way the directors do.",
        "T|I'd have liked a proper induction into how the university is governed; I learnt it by getting things wrong.",
        "Protected time for development would help more than another course.",
        "T|I'd like coaching now, at this stage, because the job has changed so much.",
        "T|Nobody taught me how to write a committee paper, and that's half the job.",
        "S|I think we under-invest in development for technical leaders compared with academic heads of department.",
        "T|Something on change management would have helped when we restructured.",
        "T|I'd like a secondment somewhere else, just to see how another place does it.",
    ),
    "Restructure": (
        "T|The role came out of a restructure of professional services in {year}.",
        "When the faculties merged, somebody realised there were five technical managers and no one in charge of them.",
        "T|I had to apply for my own job in the restructure, which wasn't a pleasant experience.",
        "S|We used the restructure as an opportunity to appoint a strategic lead for technical staff and skills.",
        "F|The restructure took eighteen months and in the end they created one post – mine – at grade 9.",
        "The consultants' report said the technical workforce was fragmented, which for once was true.",
        "F|The restructure centralised technicians, and the strategic role was the price we asked for agreeing to it.",
        "The strategic lead was appointed after a restructure, and at first people thought it was about cutting posts.",
    ),
    "Technician Commitment as catalyst": (
        "We signed the Technician Commitment in {year}, and the action plan said we'd appoint a lead – so we had to.",
        "T|The Technician Commitment self-assessment showed we had no strategic voice, and that was hard to argue with.",
        "T|I chaired the Technician Commitment steering group, and the role grew out of that.",
        "S|Signing the Commitment was easy; the role came when we realised someone had to deliver the action plan.",
        "The Stage 2 submission was what really forced the issue.",
        "T|The four pillars gave us a language – visibility, recognition, career development, sustainability.",
        "The peer review of our action plan asked who owned it, and the honest answer was nobody.",
    ),
    "Senior champion": (
        "T|{boss} was the one who made the case – a former technician, as it happens.",
        "T|Without {boss} it wouldn't have happened; the paper went to the executive board in their name.",
        "S|I argued for the post because the evidence from TALENT was overwhelming.",
        "S|I took it to the executive board as a risk issue – if we lose these people, research stops.",
        "Having a champion at that level means papers get read rather than parked.",
        "T|Our champion left in {year}, and for a while the role was a bit of an orphan.",
        "T|The Dean of {dept} backed it, which surprised a lot of people.",
    ),
    "Informal evolution": (
        "N|Nobody created the role, really – I just kept getting asked to do things across the whole university.",
        "N|It started with me organising the technician conference, and then people assumed I was in charge.",
        "N|I was the person who knew everyone, so it drifted to me.",
        "N|My job title still says facility manager, but I haven't managed a facility in three years.",
        "T|I did the strategic bits on top of my day job for about five years before anyone noticed.",
        "S|It grew organically, which is a polite way of saying we never resourced it.",
        "N|When COVID hit, I was the one coordinating all the labs, and after that it just stuck.",
    ),
    "Seat at the table": (
        "T|I'd like to be on the research and innovation committee as of right, not as a guest.",
        "There should be a technical voice on the executive board, even if it's just for the items that affect us.",
        "S|I'd like the lead to sit on the people committee, because that's where job families and grading are decided.",
        "T|Being on the estates group would save us so much pain – they design labs without asking us.",
        "T|I want to be in the room when the strategy is written, not asked to comment on it afterwards.",
        "Technicians on decision-making committees was a TALENT Commission recommendation, and we're still not there.",
        "T|The aim is for my name to be on the standing membership, not added when someone remembers.",
    ),
    "Portfolio growth": (
        "T|I'd like to own technical training across the university, not just in my faculty.",
        "The role should take on research infrastructure – equipment strategy, shared facilities, the lot.",
        "S|We're looking at adding technical workforce data to the portfolio, so it's one person's job to know.",
        "T|I think apprenticeships and entry routes should sit with the role formally.",
        "T|If the role had a proper budget for development, I could plan instead of begging.",
        "Costing technicians into grants should be part of the brief, because nobody checks it now.",
        "T|I'd like the role to cover teaching technicians too, because they're the most invisible group we have.",
    ),
    "Succession planning": (
        "T|If I got hit by a bus tomorrow, there's no one who could step in – and that's a failure on my part as much as anyone's.",
        "T|I've started to bring {colleague} to meetings, to see how it works.",
        "S|Succession planning for the lead is on my list, and it should be on the risk register.",
        "We need a deputy role, or at least a development path into the strategic post.",
        "T|When I retire, I don't want the role to quietly disappear into professional services.",
        "T|We've nobody at grade 8 ready to step up, because the grade 8 roles are all specialists.",
        "The next generation of technical leaders need a route that doesn't depend on luck.",
    ),
    "Sector influence": (
        "T|I sit on a national working group on technical careers, which is where policy actually moves.",
        "T|I'd like more time to contribute to the sector – I get asked to speak, and I have to use leave.",
        "S|I want our lead to be known nationally; it helps our reputation as much as theirs.",
        "T|We wrote a response to the funders' consultation on costing technical time, and they quoted it.",
        "Influencing professional bodies is slow, but registration wouldn't have spread without people pushing.",
        "T|I've reviewed Technician Commitment action plans for other institutions, which teaches you a lot.",
        "Sector change needs people with time to go to meetings in London, and that time is never in the job description.",
    ),
    "Exclusion from decision-making": (
        "T|I found out about the new lab building from the staff newsletter.",
        "T|There's a research infrastructure committee, and no technician sits on it.",
        "T|Papers about technical staff go to committees I'm not on, and I see them afterwards, if at all.",
        "F|I asked to join the estates group and was told it was 'for senior staff' – I'm grade 9!",
        "S|I've seen decisions about technicians made without them in the room, and I've been part of it, to be fair.",
        "T|We get consulted, but consulted usually means the decision's made.",
        "T|I'm invited when there's a problem, never when there's a plan.",
        "Being left out of committees means we fix problems we could have prevented.",
        "T|The equipment strategy was written by academics and the finance office; I saw it at the draft stage with a week to comment.",
    ),
    "Workload and capacity": (
        "T|It's two jobs, really, and I do the second one in the evenings.",
        "T|I don't have any admin support, so I'm booking rooms and taking minutes as well as writing strategy.",
        "S|We gave the lead a big remit and not much resource, and I'd do that differently now.",
        "The strategic work is always the first thing to go when there's a crisis in the labs.",
        "T|I worked out I spend maybe a day a week on strategy, and the rest is fire-fighting.",
        "T|My diary is back-to-back; I eat lunch in meetings.",
        "F|I took the role at 0.6 FTE and it's been a full-time job since the first week.",
    ),
    "Single points of failure": (
        "T|We have one person who can run the electron microscope properly, and she's retiring next year.",
        "About a third of our technicians are over fifty, and in engineering it's nearly half.",
        "T|The glassblower retired and we simply couldn't replace him – the skill isn't out there.",
        "T|{facility} depends on one person's knowledge, and none of it is written down.",
        "S|When I saw the age profile, I realised the retirement risk was bigger than anything on our risk register.",
        "Single points of failure in skills are the thing that keeps me up at night.",
        "T|We've started pairing people up so that two technicians know each instrument.",
        "T|When {colleague} was off sick for three months, a whole research group had to stop.",
    ),
    "Visibility and recognition": (
        "T|Technicians still get called 'support staff', as if the research just happens.",
        "T|People don't see the work until something breaks.",
        "T|I'd like technicians named on papers when they've contributed – some PIs do it, many don't.",
        "S|Frankly, we didn't know what our technicians did until we asked them.",
        "The vice-chancellor mentioned technicians in a speech last year, and people were genuinely moved.",
        "T|Being invisible is almost the default setting for our staff.",
        "T|We put on a technician showcase, and academics came up to me saying 'I had no idea'.",
        "T|Recognition isn't just awards – it's being asked what you think.",
    ),
    "Workforce data": (
        "T|We didn't even know how many technicians we had – HR gave me three different numbers.",
        "Half the technical staff are coded as something else in the HR system.",
        "T|I built my own spreadsheet of technicians from door signs and email lists, if I'm honest.",
        "S|I asked for the age profile of technical staff and it took two months to get.",
        "T|The HESA return doesn't tell you who's technical, so we can't benchmark against anyone.",
        "We're now tagging technical posts in the HR system so we can report on them.",
        "T|Data is the thing that got me taken seriously – the first time I showed the age profile, the room went quiet.",
    ),
    "Funding and costing": (
        "T|Technicians on fixed-term contracts tied to grants is the biggest problem for retention.",
        "Too many grants are written without costing technical time, and then the technicians just absorb it.",
        "T|When the budget cuts came, technical posts were the first to be frozen.",
        "S|We're looking at a model where technical time is costed into every grant proposal.",
        "T|I've got no budget of my own – everything I do, I'm borrowing from someone.",
        "T|We lost two posts in {dept} last year because the grant ended and there was no bridging fund.",
        "Equipment gets capital funding, but the people who run it don't.",
    ),
    "Benefits for technical staff": (
        "T|People tell me it's the first time they've had someone to go to who understands the job.",
        "Technicians now have a route to raise things, and it doesn't depend on which PI they work for.",
        "T|We've had more promotions in three years than in the ten before.",
        "S|Technical staff feel represented, and you can see it in the staff survey.",
        "T|Development used to be whoever shouted loudest; now it's planned.",
        "T|Someone said to me, “at last somebody’s got our back”, and that stayed with me.",
        "The role has given technicians a voice in places where they had none.",
    ),
    "Benefits for research and teaching": (
        "T|Pooling equipment has meant researchers get access to instruments they couldn't afford alone.",
        "S|Grant applications are stronger because the technical side is planned properly from the start.",
        "T|Teaching labs run more smoothly because there's one person coordinating the technical staff.",
        "Research groups get continuity – the technician stays when the grant ends.",
        "T|We cut the downtime on {facility} by half once the rota was managed centrally.",
        "S|Academics have told me the new arrangement saves them hours every week.",
        "It's better science, frankly, when the technical expertise is in the planning.",
    ),
    "Benefits for the institution": (
        "S|The role helped us get through the Stage 2 Technician Commitment review with real evidence.",
        "T|We avoided buying a second mass spectrometer because we could show the first was under-used.",
        "Compliance is better – we know who's trained on what, and we can prove it.",
        "S|It makes us more competitive for large infrastructure bids.",
        "T|We're cited as good practice by other universities, which the executive board likes hearing.",
        "Having one person accountable means the institution knows where to go.",
        "T|The recruitment time for technical posts has dropped because we have standard profiles and a pipeline.",
    ),
    "What a strategic technical leader is": (
        "A strategic technical leader is someone who plans for the whole technical workforce, not just their team.",
        "T|For me it's about influence – being able to change decisions, not just carry them out.",
        "It's strategic when you're looking three to five years ahead and across the institution.",
        "S|I'd define it as the person who can speak for technical staff at the top table.",
        "T|It's a technician who leads, rather than a manager who happens to manage technicians.",
        "The strategic part is connecting the technical workforce to the institution's strategy – research, teaching, estates.",
        "T|I'd say you need a portfolio, a voice, and a budget; without those it's a title.",
    ),
    "Formal and informal roles": (
        "N|I'm doing a strategic job informally; the formal title hasn't caught up.",
        "There are informal leaders everywhere – people everyone goes to, who aren't paid for it.",
        "S|We have one formal strategic role, and at least three people doing strategic work without the recognition.",
        "N|An informal role can be taken away at any time, which is what worries me.",
        "Formal roles come with a seat and a grade; informal ones come with goodwill and exhaustion.",
        "N|I'm the Technician Commitment lead, but it's 'on top' – nothing in my contract says so.",
        "The report should recognise informal leaders, because they're most of the people doing this.",
    ),
    "Technical and general management": (
        "There's a line between leading technicians and running buildings, and it's blurry.",
        "T|The faculty operations manager thinks technicians are her staff, and so do I – that's the problem.",
        "S|I think of technical leadership as specialist, not general management, even though there's overlap.",
        "T|I'm not an estates person, but I end up doing estates work because the labs are technical.",
        "General managers can manage budgets; they can't tell you whether a laser is safe.",
        "T|Sometimes the role is pulled towards general professional services, and I push back.",
        "The danger is the role becomes another operations director with technicians as one line item.",
    ),
}

FILLERS_START: tuple[str, ...] = (
    "That's a good question, actually.",
    "It's hard to sum up in a sentence.",
    "I'll try and give you the short version.",
    "Where do I start?",
    "I think about this a lot, to be honest.",
    "It's changed a lot over the years.",
    "Let me think.",
    "I'm not sure I've ever been asked that directly.",
    "It depends who you ask, really.",
    "I'd give you a different answer on a different day.",
)
FILLERS: tuple[str, ...] = (
    "That's probably the heart of it.",
    "Anyway, that's how it is.",
    "I keep coming back to that.",
    "That's my view, anyway; others might disagree.",
    "It sounds obvious when I say it out loud.",
    "I've said that in meetings too.",
    "I don't want to sound negative, because there's a lot that's good.",
    "So yes, it's a mixed picture.",
    "Does that answer the question?",
    "I hope that makes sense.",
    "Sorry, I've gone off on a tangent.",
    "That's the honest answer.",
    "It's a work in progress, like everything.",
    "I could talk about this all day.",
    "We're not unusual in that, I think.",
    "Other places are probably the same.",
    "It's getting better, slowly.",
    "That was a long time coming.",
    "You'll hear similar things from others, I expect.",
    "I'm simplifying, obviously.",
    "There's a longer story behind that.",
    "I'll come back to that, maybe.",
    "It's not a complaint, it's just the reality.",
    "We're a big place, so it varies.",
    "Some faculties are further ahead than others.",
    "That's been the pattern, anyway.",
)

OPENERS: tuple[str, ...] = ("So, ", "Well, ", "Right, ", "Yeah, ", "I mean, ", "Honestly, ", "Um, ", "OK, ")

PROBES: tuple[str, ...] = (
    "Can you say a bit more about that?",
    "How did that feel at the time?",
    "Could you give me an example?",
    "And how did people react?",
    "Is that typical, do you think?",
    "What made the difference there?",
    "Interesting. Go on.",
    "What happened next?",
    "Who else was involved?",
    "Has that changed since?",
    "How did senior people respond?",
    "Would you say that's changed over time?",
    "And what did you make of that?",
    "Why do you think that is?",
)

CHAT_LINES: tuple[str, ...] = (
    "“Can anyone cover the NMR booking tomorrow? 🙏”",
    "“Fume cupboard 3 alarm again – on my way 🏃”",
    "“Paper’s in for the committee, fingers crossed 🤞”",
    "“Thanks all, great turnout at the showcase 🎉”",
)

DEPTS: tuple[str, ...] = (
    "Chemistry",
    "Biosciences",
    "Engineering",
    "Physics",
    "Life Sciences",
    "Earth Sciences",
    "Medicine",
    "Psychology",
    "Materials",
    "Creative Arts",
)
FACILITIES: tuple[str, ...] = (
    "the NMR suite",
    "the mass spectrometry facility",
    "the engineering workshop",
    "the animal unit",
    "the cleanroom",
    "the electron microscopy centre",
    "the teaching labs",
    "the genomics core",
    "the theatre and AV store",
    "the glassblowing workshop",
)
COLLEAGUES: tuple[str, ...] = (
    "Siân",
    "José",
    "Zoë",
    "Małgorzata",
    "Anaïs",
    "Ciarán",
    "Renée",
    "Björn",
    "Aoife",
    "Chloé",
    "Dáithí",
    "Inés",
    "François",
    "Łukasz",
    "Noémie",
    "Eoghan",
)
BOSSES: tuple[str, ...] = (
    "the Pro-Vice-Chancellor for Research",
    "the Chief Operating Officer",
    "the Registrar",
    "the Deputy Vice-Chancellor",
    "the Director of Research Services",
    "the Provost",
)
NETWORKS: tuple[str, ...] = (
    "UK ITSS network",
    "Midlands technical leads group",
    "northern technical managers' forum",
    "Scottish technical leadership network",
    "TALENT alumni group",
)
REGIONS: tuple[str, ...] = (
    "North East",
    "North West",
    "Yorkshire and The Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
    "Scotland",
    "Wales",
    "Northern Ireland",
)
MISSION_GROUPS: tuple[str, ...] = (
    "Russell Group",
    "University Alliance",
    "MillionPlus",
    "GuildHE",
    "Unaffiliated",
)

# Uncoded context: short stories assembled from parts, so that no two are alike.
STORIES: tuple[str, ...] = (
    "{when}, {colleague} and I spent {duration} {activity}.",
    "{when}, we had {event} in {facility}, and it took {duration} to sort out.",
    "{when}, I remember {colleague} saying {quip}.",
    "{when}, {dept} {change}.",
    "I remember one {day} {colleague} came in and {happened}.",
    "{when}, I was {activity} when {colleague} rang about {event}.",
    "There was a {day} when {colleague} {happened}, and I thought, {quip}.",
    "{when}, we had {event}, and {colleague} kept {facility} going more or less single-handed.",
    "I think it was {when_lower} that {colleague} {happened}.",
    "{colleague} still talks about the {day} we had {event} in {facility}.",
    "{when}, {colleague} and I were {activity}, and I thought, {quip}.",
    "{when}, {dept} {change}, and we spent {duration} {activity}.",
)
WHENS: tuple[str, ...] = (
    "Back in {year}",
    "A couple of years ago",
    "Last spring",
    "Just before the pandemic",
    "When I first started",
    "Around the time of the restructure",
    "Only last month",
    "Early on",
    "The year we signed the Commitment",
    "In my first week",
    "Over the summer",
    "Not long after I took the job",
)
ACTIVITIES: tuple[str, ...] = (
    "moving equipment into the new building",
    "rewriting the risk assessments",
    "going through every technical job description",
    "counting instruments for the asset register",
    "training the new starters",
    "getting ready for an audit",
    "clearing out an old storeroom",
    "commissioning a new instrument",
    "writing the Technician Commitment submission",
    "planning the open day",
    "mapping who could run which kit",
    "sorting out the rotas",
)
EVENTS: tuple[str, ...] = (
    "a flood",
    "a power cut",
    "a freezer failure",
    "a helium shortage",
    "an HSE inspection",
    "a break-in",
    "a fire alarm every day for a week",
    "an outage of the booking system",
    "a chiller failure",
    "a gas leak scare",
)
DURATIONS: tuple[str, ...] = (
    "three days",
    "a fortnight",
    "most of a term",
    "about six weeks",
    "a whole weekend",
    "the best part of a month",
)
QUIPS: tuple[str, ...] = (
    "“we’ll laugh about this one day”",
    "“nobody else is going to do it”",
    "“put it in writing”",
    "“that’s above my pay grade”",
    "“who actually owns this?”",
    "“here we go again”",
    "“this is why we need a plan”",
)
CHANGES: tuple[str, ...] = (
    "merged with two other schools",
    "got a new head of school",
    "moved into a new building",
    "lost a big chunk of its research income",
    "doubled its student numbers",
    "brought in a new booking system",
    "was reviewed by the faculty",
)
DAYS: tuple[str, ...] = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
HAPPENINGS: tuple[str, ...] = (
    "told me they were leaving for industry",
    "asked about a degree apprenticeship",
    "showed me a spreadsheet of every instrument we own",
    "said they'd been offered a grade 7 somewhere else",
    "brought cake because their registration had come through",
    "asked who they should talk to about regrading",
    "handed in their notice",
    "asked to shadow me for a week",
)

INTRO_Q = (
    "Thanks for agreeing to take part. Just to confirm, you've read the information sheet and "
    "you're happy for the interview to be recorded?"
)
INTRO_A = (
    "Yes, that's fine.",
    "Yes, happy with that.",
    "Of course, go ahead.",
    "Yes – all fine.",
)
CLOSE_Q = "That's all my questions. Is there anything you'd like to add that we haven't covered?"
CLOSE_A = (
    "No, I think we've covered it. Thanks for doing this – it matters.",
    "Only that I'm glad someone's asking these questions at last.",
    "Just that I hope the report gets read by the people who make decisions.",
    "No, that's everything. Good luck with the write-up.",
)
TRANSITIONS = ("OK.", "Thanks.", "Right.", "That's helpful.", "Great.", "Mm.", "I see.")

# -------------------------------------------------------------------- survey

SURVEY_ITEMS: tuple[tuple[str, str], ...] = (
    # (column, which attribute it leans on: career | voice | development | workload | general)
    ("I feel valued by my institution", "voice"),
    ("My contribution to research is recognised", "voice"),
    ("Technical staff are represented where decisions are made", "voice"),
    ("I have a clear route for career progression", "career"),
    ("Promotion for technical staff is fair", "career"),
    ("I have had enough training in the last year", "development"),
    ("I have protected time for professional development", "development"),
    ("I would consider professional registration", "development"),
    ("My workload is manageable", "workload"),
    ("I expect to be working here in three years", "general"),
)
ROLE_FAMILIES: tuple[str, ...] = (
    "Laboratory",
    "Workshop and engineering",
    "IT and digital",
    "Animal care",
    "Creative and media",
    "Teaching support",
    "Medical and clinical",
    "Facility management",
)
AGE_BANDS: tuple[str, ...] = ("16–24", "25–34", "35–44", "45–54", "55–64", "65+")
FREE_CHANGE = "What one change would most improve your working life?"
FREE_OTHER = "Is there anything else you would like to tell us?"
WANTS: tuple[str, ...] = (
    "A proper career path above grade 8",
    "Protected time for training",
    "Being asked before equipment is bought",
    "Permanent contracts instead of grant-funded ones",
    "Recognition on papers I contributed to",
    "A technical manager who understands my work",
    "Funding for professional registration",
    "Somebody to cover when I'm off",
    "Fewer emails at weekends",
    "A seat for technicians on the school committee",
    "Regrading to match what I actually do",
    "Mentoring from a senior technician",
)
REASONS: tuple[str, ...] = (
    "because I have been at the top of my grade for years",
    "so that I can keep up with new techniques",
    "as we are always the last to hear",
    "because I can't plan my life on one-year contracts",
    "since my name is never on anything",
    "as my line manager is an academic who is rarely here",
    "because the fee puts people off",
    "because I am the only one who knows the kit",
    "to be honest",
    "as nothing about us gets decided with us",
    "because the job has grown and the grade hasn't",
    "so that the next generation has someone to learn from",
)
OTHERS: tuple[str, ...] = (
    "Thanks for running this survey.",
    "The Technician Commitment has made a real difference here.",
    "Nothing has changed since the last survey.",
    "Our team is brilliant but stretched.",
    "I did the Herschel programme and would recommend it to anyone.",
    "I am retiring next year and nobody knows what I know.",
    "Please share the results with us, not just with management.",
    "Morale in our department is low after the restructure.",
    "The new technical job family is a step in the right direction.",
    "I love my job, I just wish it paid better.",
)

# -------------------------------------------------------------------- case studies

# (title, the code whose quotes it prefers, recommendation numbers, paragraph)
CASE_THEMES: tuple[tuple[str, str, str, str], ...] = (
    (
        "A strategic lead appointed after a restructure",
        "Restructure",
        "1 and 2",
        "{name} created its strategic technical role during a wider review of professional "
        "services. Technical staff had been managed in each school, with different grades, titles "
        "and expectations. The review brought them into one structure and, at the insistence of "
        "the technical managers, created a single post accountable for the technical workforce as "
        "a whole. Early suspicion that the post existed to cut numbers faded as the post holder "
        "published a workforce plan and opened every recruitment panel to a technical member.",
    ),
    (
        "From an informal role to a formal one",
        "Informal evolution",
        "2 and 3",
        "At {name} the strategic work came first and the title later. A facility manager took on "
        "institution-wide tasks one by one – the technician conference, the Technician Commitment "
        "action plan, coordinating laboratories during the pandemic – until colleagues assumed the "
        "role existed. Interviewees described years of doing two jobs before the institution "
        "recognised the work with a grade, a job description and a line into the executive.",
    ),
    (
        "The Technician Commitment as a lever",
        "Technician Commitment as catalyst",
        "1 and 3",
        "{name} signed the Technician Commitment and found in its self-assessment that nobody "
        "owned the action plan. The steering group argued that delivering the four pillars needed "
        "a named lead with time and authority, and the Stage 2 submission made the case concrete. "
        "Interviewees credited the Commitment with giving them a shared language for visibility, "
        "recognition, career development and sustainability.",
    ),
    (
        "Building a technical job family",
        "Job families and role profiles",
        "2 and 5",
        "Counting technical staff at {name} revealed hundreds of job titles and technicians hidden "
        "in other job families. The strategic lead worked with HR on a technical job family with "
        "generic role profiles, which made roles comparable across faculties. Interviewees were "
        "clear that the family also fixed a ceiling at grade 8, and that progression beyond it "
        "remains the open question.",
    ),
    (
        "Tackling single points of failure",
        "Single points of failure",
        "2 and 6",
        "Interviewees at {name} described instruments and services that depended on one person's "
        "knowledge, and an age profile in which retirements would soon take much of it away. The "
        "strategic lead mapped skills against equipment, paired technicians so that two people know "
        "each instrument, and took the age profile to senior leaders as an institutional risk.",
    ),
    (
        "A technical voice on decision-making committees",
        "Exclusion from decision-making",
        "4 and 3",
        "At {name} technical staff had often heard of decisions about laboratories and equipment "
        "after they were made. Interviewees described being invited when there was a problem and "
        "not when there was a plan. With the support of a senior champion the strategic lead now "
        "sits on the research infrastructure and estates groups, and papers that affect technical "
        "staff are expected to show technical input.",
    ),
)
CASE_PEOPLE = (
    "We interviewed {count} at {name}: {people}. Their accounts agree on the main points and "
    "differ, usefully, on how far the change has reached beyond the central team."
)
CASE_PERSON = (
    "We interviewed one person at {name}: {people}. Where the account touches on other staff, "
    "it was checked against the provider's published Technician Commitment action plan."
)
CASE_THEMES_SEEN = (
    "Across these interviews the themes coded most often were {themes}. Quotations are used "
    "only where the interviewee consented to being quoted, and are attributed by pseudonym."
)
CASE_CLOSE = (
    "The case illustrates recommendations {recs} of the Strategic Technical Leadership report, "
    "and shows that a strategic role needs a portfolio, a voice and senior support to last "
    "beyond the person who holds it."
)

# More of the same, kept apart so the banks above stay readable.
MORE: dict[str, tuple[str, ...]] = {
    "Portfolio and remit": (
        "T|Recruitment, training, the technical staff survey – if it's about technicians across the board, it comes to me.",
        "T|I don't hold the research equipment budget, which is the bit I'd most like to influence.",
        "S|The lead's remit was deliberately broad, because we wanted one person who could see across the silos.",
        "S|When I'm asked who owns the technical workforce, I can now give a name rather than a shrug.",
        "S|We agreed the portfolio on a single page: people, skills, facilities, and the Technician Commitment.",
    ),
    "Line management": (
        "T|I'd rather have fewer direct reports and more time to think, but that's not how it's set up.",
        "S|I line manage the lead myself, which sends a signal about where the role sits.",
        "S|We moved away from technicians reporting to whichever academic happened to hold the grant.",
        "S|Getting consistent appraisals for technical staff was one of the first things I asked for.",
    ),
    "Workforce strategy and planning": (
        "T|Every spring I refresh the plan with the faculty managers, so it doesn't sit on a shelf.",
        "S|Workforce planning for technicians used to be whatever the last grant paid for.",
        "S|The plan now sits alongside the research strategy, and both go to council together.",
        "S|I want to know what skills we need in five years, and the lead is the only person who can tell me.",
    ),
    "Operational duties": (
        "T|The building manager rings me before estates, because I'll actually turn up.",
        "S|I don't think we've been clear enough about which operational duties the lead should drop.",
        "S|Part of me likes that the lead is still close to the labs – it keeps the strategy honest.",
        "S|From where I sit, the firefighting is visible and the strategic work isn't, which is a problem.",
    ),
    "Route into the role": (
        "T|!I got into this by accident – a temp job in a stores department that turned into thirty years.",
        "S|I've been on the executive board for four years; before that I ran a large faculty.",
        "S|!I'm a chemist by training, so I spent years relying on technicians before I ever managed any.",
        "S|!I came to this from finance, which is probably why I asked for the numbers first.",
    ),
    "Grade ceilings and progression": (
        "T|The best technician I ever worked with left because the only next step was management.",
        "S|We still expect technical staff to leave to progress, and we lose good people that way.",
        "S|I've signed off a couple of grade 9 technical roles, but it was harder than it should have been.",
        "S|The honest truth is that our promotion processes were built around academic careers.",
    ),
    "Job families and role profiles": (
        "T|The old titles were a mess – 'senior experimental officer', 'chief technician', 'lab superintendent' – all for similar work.",
        "S|The job family work was technical, painstaking, and more important than anyone expected.",
        "S|I backed the job family because it gave HR a structure it could defend at appeal.",
        "S|We had to accept some grades would go up, and that cost money, but it was right.",
    ),
    "Professional registration and recognition": (
        "T|My registration certificate is on the office wall, and people do ask about it.",
        "S|I didn't know what RSciTech was until the lead explained it; now I mention it in my speeches.",
        "S|We set a target for registrations in the Technician Commitment plan, and we're ahead of it.",
        "S|External recognition carries weight with the board in a way that internal praise doesn't.",
    ),
    "Future career": (
        "T|If a director of technical services role came up nationally, I'd go for it.",
        "T|I want to mentor the next person into this job before I think about my own next step.",
        "S|I'd like to see this become a route to the executive for a technical professional one day.",
        "S|If the current lead moved on, I'd see it as a success as long as we had someone ready.",
    ),
    "Leadership programmes": (
        "T|The action learning set from Herschel still meets online every couple of months.",
        "S|I've met three of our Herschel alumnae, and every one of them has taken on something new since.",
        "S|I'd rather fund leadership development for technical staff than another consultancy report.",
        "S|The Executive Programme gave the lead a vocabulary the board understands.",
    ),
    "Mentoring and coaching": (
        "T|My first mentor told me to stop writing long emails and go and see people – best advice I had.",
        "S|I meet the lead monthly, and half of it is me explaining how the executive thinks.",
        "S|Sponsorship matters more than mentoring at senior level; someone has to say your name in rooms you're not in.",
        "S|We've paired the lead with a coach from outside the sector, which has worked well.",
    ),
    "Networks and peer support": (
        "T|Knowing that other people were fighting the same battles made me less angry, honestly.",
        "S|The lead's network means we find out about good practice months before we would otherwise.",
        "S|I've started talking to my counterparts elsewhere about their technical leads – it's a new conversation.",
        "S|The TALENT events made technical leadership visible to people like me for the first time.",
    ),
    "Development wanted": (
        "T|I could do with a mentor from the executive side, someone to explain the politics.",
        "S|We've never given technical leaders the development we give new heads of school.",
        "S|I'd like the lead to have the finance and governance training that other directors get.",
        "S|If I could fund one thing, it would be protected time for the lead's development.",
    ),
    "Restructure": (
        "T|People were nervous during the restructure, and I spent a lot of time just listening.",
        "S|Frankly the restructure was about efficiency, and the strategic role was the good thing that came out of it.",
        "S|We redesigned professional services, and technicians could easily have been an afterthought.",
        "S|I insisted the technical lead was part of the new structure from day one.",
    ),
    "Technician Commitment as catalyst": (
        "T|Once we'd signed, the action plan needed an owner, and everybody looked at me.",
        "S|Our Stage 3 plan commits us to keeping the role, which I'm glad of.",
        "S|The Commitment gave us external accountability, and that focused minds on the board.",
        "S|We signed partly because others had, I'll admit, but it turned into something real.",
    ),
    "Senior champion": (
        "T|Having {boss} on side meant I could get a meeting with anyone.",
        "S|I'm the sponsor, but I try to make sure it doesn't depend on me personally.",
        "S|You need someone at executive level who will keep asking about technicians when it's not fashionable.",
        "S|I made the case in terms of research income, because that's what the board listens to.",
    ),
    "Informal evolution": (
        "N|Nobody ever said 'you're the lead now', it was just obvious after a while.",
        "S|Before we formalised it, one person was doing the job for free, and we took that for granted.",
        "S|It was clear that someone was already leading; we just hadn't recognised it.",
        "S|Informally, the role existed for years before it appeared on an organisation chart.",
    ),
    "Seat at the table": (
        "T|Even one standing seat on the executive's research committee would change things.",
        "S|I've asked for the lead to join the research infrastructure group, and that's agreed from next year.",
        "S|If technicians aren't represented where the decisions are made, we'll keep making bad decisions.",
        "S|I can speak for technicians at the executive, but it's better if they speak for themselves.",
    ),
    "Portfolio growth": (
        "T|Data on the technical workforce should be mine to report, not something I beg HR for.",
        "S|Next year I'd like the role to take on the shared equipment strategy formally.",
        "S|We're discussing whether apprenticeships and technical training should sit with the lead.",
        "S|The portfolio will grow, but only if we resource it properly this time.",
    ),
    "Succession planning": (
        "T|I'd like a deputy post, even part time, so there's someone learning the ropes.",
        "S|If the lead left tomorrow, we'd struggle, and that's on us, not on them.",
        "S|I've asked HR to treat the role like any other critical post in succession planning.",
        "S|We need a pipeline of technical leaders, not a single heroic individual.",
    ),
    "Sector influence": (
        "T|I'd like a national forum where technical leads can speak to funders directly.",
        "S|The lead represents us nationally now, and people notice.",
        "S|I'd support the lead taking time for sector work, because the ideas come back here.",
        "S|Funders are starting to ask about technical careers, and we want to be ahead of that.",
    ),
    "Exclusion from decision-making": (
        "T|By the time a paper reaches me, the money's been allocated.",
        "S|I'll hold my hands up – technical input was often an afterthought in our planning.",
        "S|When we reviewed the committee structure, we found technicians weren't on any of the main bodies.",
        "S|We've had equipment bought that nobody could run, because no technician was asked.",
    ),
    "Workload and capacity": (
        "T|The to-do list never shrinks; I just get better at deciding what not to do.",
        "S|We underestimated the workload when we created the role, and the lead paid for that.",
        "S|I've asked for administrative support for the lead in next year's budget.",
        "S|A strategic role with no time for strategy isn't really strategic, is it?",
    ),
    "Single points of failure": (
        "T|Some of our kit is older than the people running it, and only one of them knows its quirks.",
        "S|The lead showed us how many critical services depended on one person, and it frightened us.",
        "S|Retirement risk in the technical workforce is now on the institutional risk register.",
        "S|We've funded overlap posts so that knowledge can be handed on before people retire.",
    ),
    "Visibility and recognition": (
        "T|At graduation they thank everyone except the technicians who ran the practicals.",
        "S|Technicians have been invisible in our strategy documents, and I'm trying to fix that.",
        "S|I now make a point of naming technical staff when we celebrate research successes.",
        "S|We added technicians to our staff recognition awards, and the nominations were brilliant.",
    ),
    "Workforce data": (
        "T|I still can't get a reliable list of technical staff with their grades from one system.",
        "S|We didn't have the basic data, which was embarrassing when the Commitment asked for it.",
        "S|The numbers on age and grade changed the conversation at the executive more than anything.",
        "S|We're adding a technical flag to posts so we can report on the workforce properly.",
    ),
    "Funding and costing": (
        "T|Every time a grant ends, I'm trying to find money to keep someone on.",
        "S|We're piloting costing technical time into grants, with the lead checking the applications.",
        "S|Short-term funding is the enemy of a stable technical workforce.",
        "S|We've created a bridging fund, modest, so technicians aren't lost between grants.",
    ),
    "Benefits for technical staff": (
        "T|Technicians come to me with things they'd never have taken to their PI.",
        "S|Technical staff tell me they feel someone is looking out for them now.",
        "S|More technicians are applying for development funding, because someone tells them it exists.",
        "S|The staff survey results for technical staff are the best they've been.",
    ),
    "Benefits for research and teaching": (
        "T|Researchers now ask for a technical conversation before they write the grant.",
        "S|Our research bids read better because the technical plan is credible.",
        "S|Teaching labs are better run, and students notice that.",
        "S|Equipment is shared more and duplicated less, which researchers appreciate once they see it.",
    ),
    "Benefits for the institution": (
        "T|Our Technician Commitment review said we'd gone from talking about it to doing it.",
        "S|The role has paid for itself in equipment we didn't need to buy.",
        "S|It's also about reputation – other institutions come to us to see how we did it.",
        "S|We understand our risks better, and that's worth a great deal to a governing body.",
    ),
    "What a strategic technical leader is": (
        "T|It's someone who thinks about technicians who aren't in their team as well as those who are.",
        "S|For me it's someone senior enough to be heard and technical enough to be believed.",
        "S|The word strategic means they shape decisions about the whole institution, not one area.",
        "S|A strategic technical leader connects the bench to the boardroom, if you like.",
    ),
    "Formal and informal roles": (
        "N|Formally I'm a lab manager; informally I'm the person everyone calls.",
        "S|We rely on informal leaders more than we admit, and we should recognise them.",
        "S|The difference is accountability: a formal role can be held to account and supported.",
        "S|Several people here lead informally, and I'd like the report to help us see them.",
    ),
    "Technical and general management": (
        "T|I'm happy to manage budgets, but I don't want to become a generic operations manager.",
        "S|We've tried to keep the role technical rather than fold it into general management.",
        "S|The boundary with the faculty operations managers needed a clear agreement, which we now have.",
        "S|General management can administer; only technical leadership can judge technical risk.",
    ),
}

SENIOR_STORIES: tuple[str, ...] = (
    "{when}, I took a paper to the executive board about {agenda}.",
    "{when}, {colleague} from the technical team came to see me about {agenda}.",
    "{when}, the board spent {duration} arguing about {agenda}.",
    "I remember a {day} meeting where {colleague} asked about {agenda}, and nobody had an answer.",
    "{when}, we had {event} in {facility}, and that was when I saw how much rested on the technical staff.",
    "{when}, {dept} {change}, and the technical team absorbed most of the disruption.",
)
AGENDAS: tuple[str, ...] = (
    "the technical workforce plan",
    "the age profile of technical staff",
    "shared equipment",
    "the Technician Commitment action plan",
    "technical job families",
    "a new lab building",
    "costing technicians into grants",
    "the apprenticeship levy",
    "technician pay",
)
