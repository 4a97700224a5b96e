"""The words the ticket generator builds from: products, per-category phrasing, people, noise.

Kept apart from the generator so the generator reads as the recipe and this as the pantry.
"""

PRODUCTS = {
    "CloudDesk": ["ticket queue", "SLA timer", "macro editor", "customer portal", "email channel"],
    "PayFlow": ["checkout page", "payout schedule", "card vault", "refund API", "webhook"],
    "DataVault": ["nightly backup", "restore wizard", "storage bucket", "retention policy", "sync agent"],
    "TeamSync": ["shared calendar", "chat channel", "file preview", "video call", "mobile app"],
    "InsightBI": ["dashboard", "CSV export", "scheduled report", "query editor", "data connector"],
}
# Only in the `new_product` drift scenario: a product the training data never mentions.
NEW_PRODUCT = ("NimbusEdge", ["edge node", "mesh relay", "firmware flash", "sensor gateway", "LoRa uplink"])

CATEGORY_DESCRIPTIONS = {
    "billing": "invoices, charges, refunds, payment methods, pricing and plan changes",
    "bug": "a feature behaves wrongly or shows an error while the service itself is up",
    "account_access": "login, password reset, two-factor, SSO, locked or disabled accounts, permissions",
    "feature_request": "asking for new functionality or an improvement to an existing feature",
    "outage": "the service or a major part of it is down, unreachable or timing out for many users",
    "security": "suspected breach, phishing, vulnerability, suspicious activity or exposed data",
    "how_to": "a question about how to use, set up or configure the product",
}
PRIORITY_DESCRIPTIONS = {
    "low": "no real impact yet, a question or a wish, whenever convenient",
    "medium": "one user or team is hindered but can work around it",
    "high": "business stopped, many users affected, money or data at risk, urgent",
}

SUBJECTS = {
    "billing": ["Charged twice for {month}", "Refund for invoice {invoice}", "Wrong amount on my invoice",
                "Question about our {product} plan price", "Card declined when upgrading",
                "Need a copy of invoice {invoice}", "Cancel subscription and refund"],
    "bug": ["{feature} shows an error", "{feature} not saving changes", "Error {code} in {feature}",
            "{feature} broken after update", "Wrong numbers in {feature}", "{feature} crashes"],
    "account_access": ["Can't log in", "Password reset email never arrives", "Locked out of {product}",
                       "2FA code not accepted", "SSO login loop", "Need admin rights for a colleague"],
    "feature_request": ["Feature request: {feature}", "Could {feature} support dark mode?",
                        "Suggestion for {feature}", "Please add bulk edit to {feature}",
                        "Wish: export {feature} to PDF"],
    "outage": ["{product} is down", "Cannot reach {product} at all", "Everything timing out",
               "{product} unavailable for all users", "503 errors everywhere", "Site not loading"],
    "security": ["Suspicious login from {country}", "Possible data leak", "Phishing email pretending to be you",
                 "Vulnerability report for {feature}", "Unknown API key created", "Someone accessed our account"],
    "how_to": ["How do I set up {feature}?", "Question about {feature}", "Where can I find {feature} settings?",
               "How to add a user to {product}", "Help configuring {feature}"],
}

SENTENCES = {
    "billing": [
        "I was charged {amount} twice this month for the same subscription.",
        "Invoice {invoice} shows {amount} but our plan should cost less.",
        "Please refund the duplicate payment of {amount} to our card.",
        "Our card was declined when we tried to upgrade the plan.",
        "The VAT number is missing from invoice {invoice}, finance needs it corrected.",
        "We downgraded last month but were still billed for the old plan.",
        "Can you switch our billing from monthly to yearly and prorate the difference?",
        "The receipt for {amount} never arrived in our billing inbox.",
    ],
    "bug": [
        "When I open the {feature} it shows error {code} and nothing loads.",
        "Changes in the {feature} are not saved after I click save.",
        "Since the last update the {feature} displays the wrong totals.",
        "The {feature} freezes when the list has more than a few hundred rows.",
        "Sorting in the {feature} ignores the date column.",
        "The {feature} throws an exception when the name has an accent.",
        "Buttons in the {feature} overlap on smaller screens and cannot be clicked.",
        "Only my colleague sees this, other people on the team can use the {feature} fine.",
    ],
    "account_access": [
        "I cannot log in, it says my password is incorrect even after a reset.",
        "The password reset email never arrives, I checked spam too.",
        "My account is locked after too many attempts and I need access today.",
        "The two-factor code from the authenticator app is always rejected.",
        "Single sign-on sends me back to the login page in a loop.",
        "Please give my colleague admin permissions on our workspace.",
        "We changed our email domain and now nobody can sign in.",
        "My user was disabled by mistake when our admin left the company.",
    ],
    "feature_request": [
        "It would be great if the {feature} could export to PDF.",
        "Please consider adding a dark mode to the {feature}.",
        "We would love bulk editing in the {feature}, doing it one by one takes hours.",
        "Could you add an option to schedule the {feature} weekly?",
        "A keyboard shortcut for the {feature} would save us a lot of time.",
        "Is there any plan to integrate the {feature} with Slack?",
        "Suggestion: let admins set default filters in the {feature}.",
    ],
    "outage": [
        "{product} has been completely down for all our users since {time}.",
        "Every page returns 503 and the status page says all systems operational.",
        "Nobody in the company can reach {product}, requests time out after 30 seconds.",
        "The whole {product} service is unavailable in our region.",
        "All API calls fail with gateway timeout, our integrations stopped.",
        "The site does not load at all, we are losing sales every minute.",
    ],
    "security": [
        "We received a login alert from {country} and nobody here was travelling.",
        "An email that looks like it is from you asks us to confirm our card details.",
        "We found an API key we never created in our {product} settings.",
        "A researcher reported that the {feature} exposes other customers' data.",
        "I think someone accessed our account and downloaded our customer list.",
        "There is a cross-site scripting issue in the {feature} search box.",
        "Our audit log shows admin changes made at night by an unknown user.",
    ],
    "how_to": [
        "How do I set up the {feature} for a new team?",
        "Where can I change the time zone used by the {feature}?",
        "Is there a guide for connecting the {feature} to our CRM?",
        "How can I add a new user and give them read-only access?",
        "What is the best way to import our old data into the {feature}?",
        "Can you explain what the different roles in {product} can do?",
        "I could not find where to rename the {feature} in the settings.",
    ],
}

URGENCY = {
    "low": ["No rush, whenever you have time.", "Just curious.", "Not urgent at all.",
            "It is a minor thing.", ""],
    "medium": ["It is slowing us down a bit.", "We found a workaround for now.",
               "Please have a look this week.", "A few people on my team are affected.", ""],
    "high": ["This is urgent!", "Our whole team is blocked.", "We are losing money right now.",
             "Please escalate immediately.", "Production is affected for all customers.",
             "URGENT - please call me back."],
}
GREETINGS = ["Hi", "Hello", "Hello support team", "Dear support", "Hey", "Good morning", ""]
SIGN_OFFS = ["Thanks", "Thank you", "Best regards", "Cheers", "Kind regards", "Regards", ""]
FIRST = ["Anna", "Ben", "Chloe", "David", "Emma", "Farid", "Grace", "Hiro", "Ines", "Jonas",
         "Kemal", "Lena", "Maya", "Nils", "Olga", "Priya", "Quentin", "Rosa", "Sam", "Tomas"]
LAST = ["Smith", "Garcia", "Müller", "Okafor", "Tanaka", "Novak", "Rossi", "Dubois", "Kowalski",
        "Andersen", "Silva", "Nguyen"]
COMPANIES = ["Acme Corp", "Globex", "Initech", "Umbrella Retail", "Stark Logistics", "Wayne Foods",
             "Hooli", "Vandelay Imports", "Soylent Labs", "Tyrell Clinics"]
TITLES = ["Operations Manager", "IT Admin", "Finance Lead", "CTO", "Support Agent", "Founder"]
COUNTRIES = ["Brazil", "Romania", "Vietnam", "Nigeria", "Russia", "Indonesia"]
CODES = ["E1042", "ERR_502", "0x80070005", "E-UNKNOWN", "TIMEOUT_17", "NULL_REF"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]

# Tickets of the `language` scenario: Spanish and German, same categories.
FOREIGN = {
    "es": {
        "billing": ["Me cobraron {amount} dos veces este mes.", "La factura {invoice} tiene un importe incorrecto."],
        "bug": ["El {feature} muestra el error {code} y no carga.", "Los cambios en el {feature} no se guardan."],
        "account_access": ["No puedo iniciar sesión, la contraseña no funciona.", "Mi cuenta está bloqueada."],
        "feature_request": ["Sería genial exportar el {feature} a PDF.", "Por favor añadan modo oscuro."],
        "outage": ["{product} está caído para todos los usuarios.", "Todas las páginas devuelven error 503."],
        "security": ["Recibimos un inicio de sesión sospechoso desde {country}.", "Alguien accedió a nuestra cuenta."],
        "how_to": ["¿Cómo configuro el {feature}?", "¿Dónde cambio la zona horaria?"],
        "_subject": "Consulta sobre {product}", "_hello": "Hola", "_bye": "Saludos",
    },
    "de": {
        "billing": ["Uns wurden {amount} doppelt berechnet.", "Die Rechnung {invoice} ist falsch."],
        "bug": ["Das {feature} zeigt den Fehler {code} an.", "Änderungen im {feature} werden nicht gespeichert."],
        "account_access": ["Ich kann mich nicht anmelden, das Passwort wird abgelehnt.", "Mein Konto ist gesperrt."],
        "feature_request": ["Bitte fügen Sie einen PDF-Export für das {feature} hinzu.",
                            "Ein dunkler Modus wäre schön."],
        "outage": ["{product} ist für alle Benutzer nicht erreichbar.", "Alle Seiten liefern Fehler 503."],
        "security": ["Verdächtige Anmeldung aus {country} erkannt.", "Jemand hat auf unser Konto zugegriffen."],
        "how_to": ["Wie richte ich das {feature} ein?", "Wo ändere ich die Zeitzone?"],
        "_subject": "Frage zu {product}", "_hello": "Hallo", "_bye": "Viele Grüße",
    },
}

# The `hard` setting (tickets.generate(seed, difficulty="hard")) ----------------------------------

# Subjects that say nothing about the category: the body has to.
GENERIC_SUBJECTS = ["Quick question", "Issue with {product}", "Help needed", "Follow-up on my ticket",
                    "{product}", "Problem since {month}", "Re: your last reply", "Need assistance"]

# Pairs of categories that share their symptoms: the same sentence fits both, and only one
# sentence elsewhere in the ticket (who is affected, who acted, what is asked) decides.
SHARED_SYMPTOMS = {
    ("bug", "outage"): [
        "The {feature} returns error {code} and requests time out after 30 seconds.",
        "Pages in {product} fail to load and we keep getting {code}.",
        "Since {time} the {feature} has stopped responding.",
        "Everything in the {feature} is very slow and then shows an error.",
    ],
    ("account_access", "security"): [
        "There was a login to our {product} account from a new device.",
        "The password of the admin account was changed this morning.",
        "We got a two-factor prompt on our phones and a sign-in notice from {country}.",
        "An account was locked after many failed sign-in attempts.",
    ],
    ("how_to", "feature_request"): [
        "We want to export the {feature} to PDF every week.",
        "Bulk editing in the {feature} would save our team hours.",
        "Our managers need the {feature} in their own time zone.",
        "We would like to connect the {feature} to our CRM.",
    ],
    ("billing", "account_access"): [
        "Our finance colleague cannot open the billing page of {product}.",
        "The card on file belongs to an admin who left the company.",
        "We need to move the subscription to another owner account.",
    ],
}
# The sentence that decides between the two categories of a pair. Its meaning is the XOR of two
# word choices, a negation ("hardly", which no other sentence uses) and one of two phrases, with
# filler between them so that no bigram carries it ("it is hardly, as far as we can tell, just
# me" is everyone's problem, "it is, as far as we can tell, just me" one user's):
# a reader gets it right, a model that adds up word weights cannot. (template, phrase for the
# pair's first category, phrase for its second); without negation the phrase names its category.
DECIDERS = {
    ("bug", "outage"): ("it is{not_}, {filler}, {phrase}.", "just me", "everyone"),
    ("account_access", "security"): ("the sign-in was{not_}, {filler}, {phrase}.", "ours",
                                     "from a stranger"),
    ("how_to", "feature_request"): ("I{not_} think, {filler}, that {phrase}.",
                                    "it already exists", "it is missing"),
    ("billing", "account_access"): ("this is{not_}, {filler}, about {phrase}.", "the money",
                                    "the login"),
}
FILLERS = ["as far as we can tell", "from what we see", "we believe", "to be honest",
           "judging by the messages", "after checking twice"]
# How a ticket moves on to a second topic: the label is always the first one.
SECOND_TOPIC = ["Also, ", "One more thing: ", "Unrelated, but ", "While I have you: "]

# A long tail of smaller products (Zipf-weighted in `hard`): most appear a handful of times.
_TAIL_FIRST = ["Ledger", "Pixel", "Route", "Signal", "Harbor", "Quill", "Beacon", "Orbit", "Crate",
               "Fable", "Mosaic", "Tundra"]
_TAIL_SECOND = ["ly", "Hub", "Forge", "Desk", "Works", "Loop"]
_TAIL_FEATURES = ["import wizard", "audit trail", "team inbox", "approval flow", "price table",
                  "label printer", "route planner", "photo upload", "stock sync", "shift roster",
                  "survey builder", "API console", "usage meter", "kiosk mode", "offline mode"]
TAIL_PRODUCTS = {
    f"{a}{b}": [_TAIL_FEATURES[(i * 7 + j) % len(_TAIL_FEATURES)] for j in range(3)]
    for i, (a, b) in enumerate((a, b) for a in _TAIL_FIRST for b in _TAIL_SECOND[:3])
}
