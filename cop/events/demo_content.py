"""The demo community's events: days from now, not dates, so they are always coming up when the demo is loaded.

Each: title, agency slug, kind, level, time zone, days from today, start hour, hours long (None: all day,
the number of days), venue, address, online link, capacity, price, repeat, description, and a status.
"""

DEMO_EVENTS = (
    {
        "title": "LocalGovCamp North", "agency": "leeds-city-council", "kind": "unconference", "time_zone": "Europe/London",
        "in_days": 24, "days": 1, "venue": "Leeds Central Library", "address": "Calverley Street, Leeds LS1 3AB",
        "capacity": 120, "topics": ["Online community development", "Crisis and emergency communications"],
        "board": {
            "rooms": (("Main hall", 80), ("Reading room", 30), ("Studio", 20)),
            "times": ((10, 0), (11, 0), (13, 30)),
            "sessions": (
                ("What we learnt from a winter of flood warnings", "A crisis channel, a rota and what broke."),
                ("Answering complaints in public", "When to take it to a direct message, and when not to."),
                ("Measuring calls avoided", "Linking posts to contact-centre figures without a data team."),
                ("Accessible video on a shoestring", "Captions, transcripts and phones."),
                ("Getting the chief executive on LinkedIn", "Ghost-writing, or not."),
                ("Mastodon for councils: a year in", "Running our own server, and who followed."),
                ("Trolls, threats and your duty of care", "Protecting the people who run the accounts."),
            ),
        },
        "description": "A day of sessions pitched on the morning by the people in the room: digital, social and service "
                       "design in councils. Bring a question you cannot answer at work.\n\nFree, with lunch.",
    },
    {
        "title": "BarCamp Brighton: digital public services", "agency": "brighton-and-hove-city-council", "kind": "barcamp",
        "time_zone": "Europe/London", "in_days": 38, "hour": 9, "hours": 8, "venue": "Brighton Dome Studio",
        "address": "Church Street, Brighton BN1 1UE", "capacity": 80, "topics": ["Video", "Iterative policy, measurement and evaluation"],
        "description": "No spectators, only participants: everyone pitches or helps run a session. Sessions so far: "
                       "short video on a shoestring, what the analytics do not tell you, and answering complaints in public.",
    },
    {
        "title": "Monthly social media surgery", "agency": "cardiff-council", "kind": "surgery", "time_zone": "Europe/London",
        "in_days": 9, "hour": 18, "hours": 2, "venue": "Cardiff Central Library Hub", "address": "The Hayes, Cardiff CF10 1FL",
        "online": "https://meet.example/cardiff-surgery", "repeat": "monthly", "slots": 6,
        "description": "Bring your laptop and your question. Experienced volunteers sit with you for twenty minutes: "
                       "setting up a page, scheduling posts, handling a difficult comment thread.",
    },
    {
        "title": "Social media 101: getting started", "agency": "service-nsw", "kind": "course", "level": "101",
        "time_zone": "Australia/Sydney", "in_days": 14, "hour": 9, "hours": 3, "venue": "Service NSW Training Room",
        "address": "2-24 Rawson Place, Haymarket NSW 2000", "capacity": 20, "topics": ["Introduction to social media"],
        "description": "Accounts, tone of voice, a posting plan and the approval chain. For people new to running an "
                       "agency account.",
    },
    {
        "title": "Social media 202: measuring what matters", "agency": "leeds-city-council", "kind": "course", "level": "202",
        "time_zone": "Europe/London", "in_days": 31, "hour": 10, "hours": 4, "venue": "Merrion House",
        "address": "110 Merrion Centre, Leeds LS2 8BB", "capacity": 16, "price": "95", "pay": "By invoice to your council.",
        "prerequisites": ["Social media 101: getting started"], "topics": ["Iterative policy, measurement and evaluation"],
        "description": "From reach to outcomes: setting goals with service managers, measuring calls avoided, and "
                       "reporting to leadership without vanity numbers.",
    },
    {
        "title": "Social media 303: leading through a crisis", "agency": "department-of-health-and-aged-care", "kind": "course",
        "level": "303", "time_zone": "Australia/Perth", "in_days": 45, "hour": 9, "hours": 7,
        "venue": "Perth Convention and Exhibition Centre", "address": "21 Mounts Bay Road, Perth WA 6000", "capacity": 12,
        "price": "350", "pay": "Purchase order to the department.", "prerequisites": ["Social media 202: measuring what matters"],
        "topics": ["Crisis and emergency communications"],
        "description": "A tabletop exercise: a heatwave, a rumour and a minister's question in the same hour. For people "
                       "who lead a team's social media.",
    },
    {
        "title": "Webinar: captions and accessible video", "agency": "victorian-department-of-premier-and-cabinet",
        "kind": "webinar", "time_zone": "Australia/Melbourne", "in_days": 6, "hour": 12, "hours": 1,
        "online": "https://meet.example/accessible-video", "capacity": 300, "topics": ["Accessible content", "Video"],
        "description": "Captions, transcripts and audio description for short social video, with free tools.",
    },
    {
        "title": "Webinar: writing alt text people want to read", "agency": "city-of-toronto", "kind": "webinar",
        "time_zone": "America/Toronto", "in_days": 12, "hour": 13, "hours": 1, "online": "https://meet.example/alt-text",
        "topics": ["Accessible content"],
        "description": "What to put in alt text for charts, maps and photos of events, with examples from city accounts.",
    },
    {
        "title": "Glasgow digital comms meetup", "agency": "glasgow-city-council", "kind": "meetup", "time_zone": "Europe/London",
        "in_days": 17, "hour": 18, "hours": 2, "venue": "The Lighthouse", "address": "11 Mitchell Lane, Glasgow G1 3NU",
        "status": ("cancelled", "The venue is closed for repairs. We will list a new date soon."),
        "description": "Drinks and short talks from people running council and health board accounts.",
    },
    {
        "title": "Workshop: crisis comms tabletop", "agency": "kent-county-council", "kind": "workshop", "time_zone": "Europe/London",
        "in_days": 21, "hour": 10, "hours": 3, "venue": "Sessions House", "address": "County Road, Maidstone ME14 1XQ",
        "capacity": 24, "status": ("postponed", "Our trainer is unwell; a new date will follow within the month."),
        "description": "A storm, a road closure and a false rumour: practise the first two hours of an incident.",
    },
)
