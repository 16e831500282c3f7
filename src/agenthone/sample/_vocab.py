"""Vocabularies that fill template slots.

Large, varied word lists are what keep unrelated texts apart: two records only share a five-word run
when they draw the same template *and* the same fillers. Nothing here looks like personal data (no
e-mail addresses, phone-like digit runs, IP addresses or web domains): those appear only where the
generator plants them and records them in the ground truth.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from agenthone.sample._grammar import CASUAL_CLOSE, CASUAL_OPEN, SlotSource

__all__ = ["FIRST_NAMES", "LAST_NAMES", "SLOTS"]


def _words(text: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in text.split(";") if w.strip())


FIRST_NAMES = _words(
    "Ava;Liam;Maya;Noah;Zoe;Ethan;Chloe;Mateo;Priya;Arjun;Sofia;Lucas;Amara;Kenji;Elena;Omar;Hannah;Diego;"
    "Isla;Ravi;Grace;Jonas;Leila;Felix;Nora;Tariq;Yuki;Marco;Ingrid;Samuel;Aisha;Tomas;Clara;Dev;Freya;"
    "Hugo;Mei;Oscar;Rosa;Viktor;Wen;Lena;Andre;Beatriz;Caleb;Dalia;Emil;Fatima;Gavin;Helena;Ivan;Julia;"
    "Kofi;Lucia;Mikael;Nadia;Owen;Paula;Quinn;Rafael;Sana;Theo;Ursula;Vera;Wyatt;Ximena;Yara;Zane;Anika;"
    "Bruno;Carmen;Dmitri;Esme;Farid;Greta;Hector;Imani;Joel;Katya;Leon"
)
LAST_NAMES = _words(
    "Alvarez;Brennan;Chen;Dubois;Eriksen;Fischer;Garcia;Haddad;Ito;Jensen;Kowalski;Lindqvist;Moreau;"
    "Nakamura;Okafor;Petrov;Quintero;Rossi;Schmidt;Tanaka;Usman;Varga;Walsh;Xu;Yilmaz;Zimmerman;Abbott;"
    "Banerjee;Castillo;Delgado;Evans;Ferreira;Gallagher;Horvat;Iqbal;Jovanovic;Keller;Larsen;Mendes;"
    "Novak;Oliveira;Park;Rahman;Santos;Toivonen;Uribe;Vasquez;Wagner;Young;Zhou;Ahmed;Bianchi;Carvalho;"
    "Dimitrov;Espinoza;Fontaine;Grant;Hoffmann;Ivanova;Jaramillo;Kaur;Lopez;Murphy;Nguyen;Ortega;Popescu;"
    "Reyes;Silva;Thompson;Vogel;Weber;Yamamoto;Ziegler;Bauer;Costa;Duarte;Engel;Flores;Gomez;Hughes"
)
CITIES = _words(
    "Lisbon;Denver;Osaka;Leeds;Austin;Lyon;Porto;Calgary;Tampere;Nairobi;Seville;Gdansk;Brisbane;Toronto;"
    "Valencia;Bergen;Hamburg;Kyoto;Montreal;Glasgow;Perth;Bologna;Cork;Ghent;Utrecht;Malmo;Krakow;Tallinn;"
    "Oakland;Boise;Raleigh;Tucson;Madison;Spokane;Halifax;Adelaide;Wellington;Auckland;Cape Town;Pune;"
    "Chennai;Busan;Taipei;Hanoi;Lima;Bogota;Quito;Monterrey;Cordoba;Rosario;Salzburg;Graz;Zagreb;Ljubljana;"
    "Vilnius;Riga;Aarhus;Tromso;Reykjavik;Bilbao"
)
COUNTRIES = _words(
    "Portugal;Canada;Japan;Germany;Brazil;Kenya;India;Poland;Norway;Mexico;Australia;Spain;Italy;Ireland;"
    "Finland;Chile;Vietnam;Colombia;Austria;Estonia;Denmark;Iceland;Croatia;Latvia;South Korea;New Zealand"
)
MONTHS = _words("January;February;March;April;May;June;July;August;September;October;November;December")
WEEKDAYS = _words("Monday;Tuesday;Wednesday;Thursday;Friday")

BRANDS = _words(
    "Trailblazer;Nimbus;Aurora;Summit;Kestrel;Harbor;Ember;Solstice;Tundra;Meridian;Juniper;Cobalt;Atlas;"
    "Willow;Falcon;Orchid;Granite;Lumen;Pioneer;Sierra;Cascade;Vireo;Halcyon;Quarry;Redwood;Saffron;"
    "Tidewater;Voyager;Zephyr;Alder;Birchwood;Caldera;Drift;Equinox;Fjord;Glacier;Hollow;Ironwood;Jasper;"
    "Kinetic;Lark;Monsoon;Northstar;Oasis;Prairie;Riverstone;Sable;Timber;Umbra;Vantage;Wildfire;Yarrow"
)
PRODUCT_NOUNS = _words(
    "backpack;espresso grinder;desk lamp;rain jacket;trail runner;yoga mat;water bottle;duffel bag;"
    "chef's knife;cast-iron skillet;pour-over kettle;standing desk;office chair;noise-cancelling headset;"
    "mechanical keyboard;wireless mouse;camping stove;sleeping bag;tent;hiking boot;fleece hoodie;"
    "merino base layer;travel pillow;phone case;laptop sleeve;smartwatch band;air purifier;robot vacuum;"
    "ceramic planter;linen duvet cover;wool throw;bamboo cutting board;blender;stand mixer;dutch oven;"
    "bike helmet;cycling jersey;running vest;headlamp;portable speaker;e-reader cover;watercolour set;"
    "sketchbook;fountain pen;leather wallet;sunglasses;beanie;crossbody bag;weekender bag;garden hose;"
    "pruning shears;bird feeder;dog harness;cat tree;pet bed;baby carrier;kids' rain boots;lunch box;"
    "thermal mug;tea infuser;scented candle;bath towel set;shower head;bedside clock;picture frame"
)
MATERIALS = _words(
    "recycled nylon;organic cotton;merino wool;full-grain leather;stainless steel;anodised aluminium;"
    "bamboo fibre;ripstop polyester;borosilicate glass;walnut wood;ceramic;natural rubber;hemp canvas;"
    "carbon fibre;cork;linen;vegan leather;silicone;oak;titanium"
)
COLORS = _words(
    "slate grey;forest green;midnight blue;sand;terracotta;charcoal;ivory;sage;rust;ocean teal;plum;"
    "mustard;graphite;blush pink;olive;navy;cream;burgundy;pine;coral"
)
FEATURES = _words(
    "a waterproof zip;a 12-hour battery;a padded laptop sleeve;reinforced seams;a magnetic closure;"
    "a detachable strap;adjustable height;a non-slip base;a dishwasher-safe lid;a lifetime warranty;"
    "quick-dry fabric;a fold-flat design;USB-C charging;a built-in timer;a hidden pocket;"
    "a brushed finish;a double-wall build;an ergonomic grip;a breathable mesh back;a ventilated hood;"
    "a shock-absorbing sole;a compression sack;a removable liner;a keyed lock;a whisper-quiet motor;"
    "three speed settings;a 30-day trial;free engraving;a stay-cool handle;a spill-proof seal;"
    "reflective trim;an anti-fog coating;a modular frame;soft-close hinges;a low-glare screen"
)
ADJECTIVES = _words(
    "lightweight;durable;compact;versatile;sturdy;sleek;breathable;cosy;roomy;minimalist;rugged;"
    "handcrafted;weatherproof;portable;quiet;efficient;elegant;comfortable;reliable;practical;"
    "eco-friendly;refined;balanced;responsive;generous;thoughtful;timeless;bold;soft;precise"
)
INTENSIFIERS = _words("super;totally;really;seriously;insanely;ridiculously;crazy;so;absolutely;wildly")
AUDIENCES = _words(
    "weekend hikers;remote workers;home cooks;busy parents;daily commuters;trail runners;students;"
    "small-business owners;new pet owners;frequent travellers;coffee lovers;gardeners;cyclists;"
    "first-time campers;design lovers;home-office teams;gift shoppers;minimalists;outdoor families;"
    "night-shift nurses;freelance designers;apartment dwellers;early risers;weekend bakers"
)
BENEFITS = _words(
    "saves space;keeps everything organised;lasts for years;cleans up in seconds;packs down small;"
    "stays comfortable all day;cuts prep time;reduces clutter;handles rough weather;feels great in the hand;"
    "keeps drinks hot for hours;charges quickly;works straight out of the box;fits under most seats;"
    "protects your gear;makes mornings easier;looks good on any shelf;adapts to any room"
)
OCCASIONS = _words(
    "the holiday season;back-to-school week;a spring clean;Black Friday;a weekend getaway;Mother's Day;"
    "a housewarming;the first cold snap;summer festival season;a long road trip;graduation;Cyber Monday"
)
CARRIERS = _words("UPS;FedEx;DHL;USPS;Royal Mail;DPD;Canada Post;PostNL;GLS;Australia Post")
SHIP_STATUSES = _words(
    "in transit;out for delivery;delayed at the regional hub;awaiting pickup;held at customs;"
    "waiting for a shipping label;ready at the parcel locker;rerouted to a nearby depot;at the sorting centre"
)
RETURN_REASONS = _words(
    "it arrived damaged;the size runs small;the colour differs from the photos;it was a duplicate order;"
    "the zip broke after a week;it is too heavy for daily use;a part was missing from the box;"
    "it stopped charging;the fabric pills after washing;I ordered the wrong model;it was a gift I cannot use;"
    "the lid does not seal properly"
)
REFUND_METHODS = _words("the original card;store credit;a gift card;the original payment method;an exchange")
PLANS = _words("Starter plan;Pro plan;Business plan;Team plan;Enterprise plan;Basic plan;Plus plan")
ACCOUNT_FEATURES = _words(
    "two-factor sign-in;invoice downloads;team seats;the mobile app;saved carts;order history;"
    "the loyalty programme;gift wrapping;subscription pauses;bulk export;shared wishlists;API access;"
    "single sign-on;usage alerts;the billing portal;saved addresses"
)
SUPPORT_ISSUES = _words(
    "a failed payment;a login loop;a missing invoice;a double charge;a sync error;a stuck upload;"
    "an expired coupon;a password reset email that never arrives;a cancelled subscription still billing;"
    "a broken download link;slow page loads;a missing loyalty discount;an address that will not save;"
    "an app crash on start-up;a delivery marked as received but missing"
)

# security
PACKAGES = _words(
    "lodash;requests;openssl;log4j-core;django;express;jackson-databind;urllib3;pillow;axios;spring-web;"
    "flask;jinja2;numpy;moment;minimist;handlebars;netty-codec;snakeyaml;go-yaml;tar;semver;"
    "protobuf;cryptography;pyyaml;commons-text;xstream;tomcat-embed-core;nginx;curl;libxml2;zlib;sqlite;"
    "webpack-dev-server;ws;follow-redirects;undici;shelljs;xml2js;sharp;rails;nokogiri;rack;puma;laravel;"
    "guzzle;symfony;phpmailer;okhttp;grpc;aiohttp;tornado;gunicorn;paramiko;setuptools;werkzeug;sqlparse"
)
VULN_TYPES = _words(
    "remote code execution;SQL injection;cross-site scripting;path traversal;server-side request forgery;"
    "prototype pollution;regular-expression denial of service;insecure deserialisation;open redirect;"
    "XML external entity injection;privilege escalation;authentication bypass;HTTP request smuggling;"
    "heap buffer overflow;use-after-free;cross-site request forgery;information disclosure;"
    "command injection;template injection;integer overflow;race condition;weak cipher negotiation"
)
SEVERITIES = _words("critical;high;medium;low")
COMPONENTS = _words(
    "the checkout service;the auth gateway;the billing worker;the image resizer;the admin portal;"
    "the search API;the notification queue;the export job;the mobile backend;the reporting dashboard;"
    "the partner webhook handler;the file upload service;the token store;the pricing engine;"
    "the inventory sync job;the customer portal"
)
FILE_PATHS = _words(
    "requirements.txt;package-lock.json;pom.xml;go.sum;Gemfile.lock;composer.lock;poetry.lock;"
    "build.gradle;Dockerfile;yarn.lock;Cargo.lock;pnpm-lock.yaml;setup.cfg;helm/values.yaml"
)
HOSTS = _words(
    "web-03;payments-api-2;worker-eu-1;edge-proxy-7;batch-runner-4;ci-agent-12;db-replica-2;"
    "cache-node-5;jump-host-1;staging-app-3;k8s-node-19;vpn-gw-2;mail-relay-1;build-box-6"
)
THREAT_ACTORS = _words(
    "APT29;FIN7;Lazarus Group;Scattered Spider;Sandworm;TA505;Kimsuky;Volt Typhoon;Wizard Spider;"
    "Turla;Charming Kitten;Evil Corp"
)
MALWARE = _words(
    "QakBot;Emotet;IcedID;AgentTesla;Cobalt Strike beacons;LockBit;BlackCat;RedLine Stealer;SocGholish;"
    "AsyncRAT;Raccoon Stealer;PlugX;DarkGate;Latrodectus;Lumma Stealer"
)
TECHNIQUES = _words(
    "T1566.001 spearphishing attachments;T1059.001 PowerShell execution;T1078 valid accounts;"
    "T1190 exploitation of a public-facing application;T1486 data encrypted for impact;"
    "T1021.001 remote desktop;T1055 process injection;T1027 obfuscated files;T1105 ingress tool transfer;"
    "T1003 credential dumping;T1547.001 registry run keys;T1071.001 web protocols for command and control"
)
SECTORS = _words(
    "healthcare;logistics;retail;higher education;local government;manufacturing;fintech;"
    "hospitality;energy;legal services;media;non-profits"
)
IAM_ROLES = _words(
    "billing-admin;ci-deployer;support-readonly;data-engineer;marketing-uploader;backup-operator;"
    "analytics-viewer;platform-oncall;vendor-integration;finance-approver;qa-automation;growth-team"
)
PERMISSIONS = _words(
    "s3:PutObject;s3:DeleteBucket;iam:PassRole;kms:Decrypt;ec2:TerminateInstances;secretsmanager:GetSecretValue;"
    "rds:ModifyDBInstance;lambda:UpdateFunctionCode;logs:DeleteLogGroup;sts:AssumeRole;dynamodb:Scan;"
    "ecr:PutImage;cloudtrail:StopLogging;route53:ChangeResourceRecordSets"
)
BUCKETS = _words(
    "prod-invoices;customer-exports;ml-training-data;marketing-assets;audit-logs;backup-snapshots;"
    "partner-drops;analytics-raw;payroll-reports;support-attachments"
)
TEAMS = _words("platform;payments;growth;data;support;security;mobile;finance;marketing;logistics;search;identity")

# analytics and research
METRICS = _words(
    "weekly active users;checkout conversion;average order value;churn rate;net revenue retention;"
    "trial-to-paid conversion;cart abandonment;support ticket volume;first-response time;refund rate;"
    "repeat purchase rate;page load time;signup completion;daily orders;gross margin;time on site;"
    "email click-through rate;return rate;inventory turnover;customer lifetime value"
)
DIMENSIONS = _words(
    "region;plan tier;acquisition channel;device type;signup cohort;product category;country;"
    "payment method;browser;warehouse;customer segment;campaign"
)
TABLES = _words(
    "orders;order_items;customers;visits;events;subscriptions;invoices;refunds;tickets;products;"
    "shipments;page_views;campaigns;payments;inventory_snapshots"
)
PERIODS = _words(
    "last week;the past 30 days;last quarter;the holiday peak;the first half of the year;September;"
    "the last two sprints;the past six weeks;Q3;the launch month"
)
TOPICS = _words(
    "retrieval-augmented generation;small language models;carbon accounting;supply-chain resilience;"
    "remote-work productivity;customer churn prediction;battery recycling;urban heat islands;"
    "loyalty programme design;dynamic pricing;synthetic data;microplastics in rivers;sleep and memory;"
    "four-day work weeks;heat pumps;reskilling programmes;last-mile delivery;open-source governance;"
    "fraud detection;accessibility audits;green hydrogen;vertical farming;ransomware insurance;"
    "edge computing;privacy-preserving analytics;employee onboarding;subscription fatigue;soil health"
)
SOURCES = _words(
    "a 2024 meta-analysis;two peer-reviewed trials;an industry survey of 1,200 firms;a working paper;"
    "a government white paper;three case studies;a longitudinal cohort study;an analyst report;"
    "a randomised field experiment;a benchmark study;a conference keynote;a systematic review"
)
PROJECTS = _words(
    "Lighthouse project;checkout redesign;Q4 pricing test;warehouse migration;mobile relaunch;partner API;"
    "loyalty refresh;data-platform upgrade;help-centre revamp;onboarding flow;spring campaign;SOC 2 audit;"
    "search rewrite;returns portal;billing migration;design-system rollout;CRM cleanup;EU expansion"
)

# marketing
KEYWORDS = _words(
    "best hiking backpack;vegan leather wallet;standing desk setup;how to descale a kettle;"
    "cast iron skillet care;eco friendly yoga mat;waterproof rain jacket women;ergonomic office chair;"
    "gift ideas for coffee lovers;small apartment storage;camping gear checklist;wool vs fleece;"
    "quiet robot vacuum;pour over coffee ratio;beginner trail running shoes;linen bedding benefits;"
    "dog harness no pull;travel pillow for long flights;home office lighting;sustainable gift wrap;"
    "wordpress speed optimisation;best seo plugin;woocommerce checkout tips;cyber monday deals;"
    "how to choose a sleeping bag;minimalist wardrobe;winter cycling gear;meal prep containers"
)
SLUGS = _words(
    "/blog/packing-light;/guides/coffee-at-home;/collections/autumn-sale;/blog/desk-ergonomics;"
    "/products/trail-runner;/guides/camping-checklist;/blog/gift-guide;/help/shipping-times;"
    "/blog/cast-iron-care;/collections/new-arrivals;/guides/winter-layering;/blog/small-space-living;"
    "/pricing;/about/sustainability;/blog/plugin-updates;/guides/seo-basics"
)
PLATFORMS = _words("Instagram;LinkedIn;TikTok;Facebook;Pinterest;Threads;YouTube Shorts;X")
HASHTAGS = _words(
    "#weekendready;#slowliving;#gearup;#workfromhome;#coffeetime;#outdoorlife;#smallbusiness;#giftideas;"
    "#sustainablestyle;#homecooking;#trailtime;#newdrop;#behindthescenes;#customerlove;#autumnvibes"
)
CAMPAIGNS = _words(
    "Autumn Reset;Pack Light Week;Cosy Season;Back to the Trail;Desk Glow-Up;Give Better;Winter Warmers;"
    "Spring Refresh;Brew Better;Small Spaces Big Ideas;Summer Off-Grid;New Year Reset"
)
DISCOUNT_CODES = _words("AUTUMN20;WELCOME10;FREESHIP;COSY15;TRAIL25;GIFT2026;FLASH30;LOYAL12;SPRING15;BUNDLE20")
SEGMENTS = _words(
    "lapsed customers;first-time buyers;VIP members;newsletter subscribers;cart abandoners;"
    "high-value repeat buyers;app users;trial sign-ups;wholesale partners;gift shoppers"
)

# WordPress
PLUGINS = _words(
    "Yoast SEO;WooCommerce;Contact Form 7;Elementor;WP Rocket;Wordfence;Akismet;Jetpack;UpdraftPlus;"
    "Advanced Custom Fields;Rank Math;WPForms;Smush;Redirection;Really Simple SSL;MonsterInsights;"
    "W3 Total Cache;All in One SEO;Classic Editor;Site Kit;WP Mail SMTP;LiteSpeed Cache;Polylang;"
    "The Events Calendar;MailPoet;Duplicate Page;Regenerate Thumbnails;WP Super Cache;Sucuri Security;"
    "Gravity Forms;Beaver Builder;WPML;Autoptimize;Query Monitor;Loco Translate;Code Snippets"
)
THEMES = _words("Astra;GeneratePress;Kadence;OceanWP;Twenty Twenty-Five;Neve;Blocksy;Divi;Hello Elementor;Storefront")
WP_ISSUES = _words(
    "an outdated jQuery dependency;an unescaped shortcode attribute;a missing nonce check;"
    "autoloaded options bloating the database;a REST endpoint without a permission callback;"
    "a render-blocking stylesheet;duplicate meta tags;a cron job that never finishes;"
    "mixed-content warnings;a deprecated PHP function call;an admin-ajax action open to guests;"
    "uncompressed hero images;a conflict with the object cache;a broken sitemap index;"
    "excessive external font requests;a vulnerable bundled library"
)
PAGE_TYPES = _words(
    "the home page;product pages;the checkout;category archives;the blog index;landing pages;"
    "the contact page;search results;author archives;the cart page"
)
SECTIONS = _words(
    "Why it matters;Getting started;Common mistakes;What to look for;Step-by-step setup;"
    "Real-world examples;Costs and trade-offs;Frequently asked questions;Tools we recommend;Next steps"
)

# customer service
TICKET_TOPICS = _words(
    "billing;shipping;returns;account access;product defect;subscription changes;promo codes;"
    "order edits;warranty;delivery damage;app bugs;invoice requests"
)
SENTIMENTS = _words("negative;neutral;positive;mixed;frustrated;anxious;appreciative")
URGENCIES = _words("low;normal;high;urgent")

# legal
CLAUSES = _words(
    "limitation of liability;indemnification;termination for convenience;confidentiality;"
    "data processing;force majeure;governing law;intellectual property ownership;non-solicitation;"
    "payment terms;service levels;assignment;dispute resolution;warranty disclaimer;subcontracting;"
    "audit rights;renewal and notice;acceptable use"
)
PARTIES = _words(
    "the Supplier;the Customer;the Licensee;the Licensor;the Contractor;the Client;the Processor;"
    "the Controller;the Service Provider;the Reseller"
)
JURISDICTIONS = _words(
    "England and Wales;the State of New York;Ontario;Ireland;the State of California;Germany;"
    "the Netherlands;Delaware;Singapore;New South Wales"
)
DOCUMENTS = _words(
    "master services agreement;privacy policy;terms of service;data processing addendum;NDA;"
    "reseller agreement;refund policy;cookie notice;employee handbook section;supplier code of conduct"
)
DURATIONS = _words(
    "30 days;60 days;90 days;12 months;two years;five business days;14 days;six months;ten days;three years"
)

# health
CONDITIONS = _words(
    "seasonal allergies;mild dehydration;tension headaches;lower back pain;iron deficiency;insomnia;"
    "heartburn;shin splints;dry eye;eczema flare-ups;jet lag;high blood pressure;migraine;"
    "plantar fasciitis;common cold;vitamin D deficiency;sunburn;motion sickness;muscle cramps;"
    "mild anxiety;tendonitis;acid reflux;sinus congestion;hay fever"
)
SYMPTOMS = _words(
    "fatigue;a dry cough;dizziness;a sore throat;stiffness in the morning;itchy eyes;trouble sleeping;"
    "a persistent headache;nausea;shortness of breath on stairs;tingling in the hands;muscle aches;"
    "low energy in the afternoon;swelling around the ankle"
)
HABITS = _words(
    "a regular sleep schedule;short walks after meals;drinking water through the day;"
    "limiting caffeine after noon;gentle stretching;screen breaks every hour;balanced meals;"
    "a wind-down routine;strength training twice a week;breathing exercises;wearing sunscreen daily"
)
NUTRIENTS = _words("magnesium;vitamin C;fibre;omega-3 fats;protein;potassium;iron;calcium;zinc;B vitamins;electrolytes")


def _digits(rnd: random.Random, n: int) -> str:
    return "".join(str(int(rnd.random() * 10)) for _ in range(n))


def _pick(seq: Sequence[str]) -> Callable[[random.Random], str]:
    def pick(rnd: random.Random) -> str:
        return seq[int(rnd.random() * len(seq))]

    return pick


def _customer(rnd: random.Random) -> str:
    return f"{rnd.choice(FIRST_NAMES)} {rnd.choice(LAST_NAMES)}"


def _product(rnd: random.Random) -> str:
    model = rnd.choice(("", "", " 2", " Pro", " Lite", " X", " 40L", " 3", " Max", " Mini", " Classic", " Air"))
    return f"{rnd.choice(BRANDS)}{model} {rnd.choice(PRODUCT_NOUNS)}"


def _price(rnd: random.Random) -> str:
    whole = rnd.choice((9, 14, 19, 24, 29, 34, 39, 49, 59, 69, 79, 89, 99, 119, 149, 179, 199, 249, 299))
    return f"${whole}.{rnd.choice(('99', '95', '00', '50'))}"


def _cve(rnd: random.Random) -> str:
    return f"CVE-{rnd.randint(2019, 2026)}-{rnd.randint(1000, 49999)}"


def _version(rnd: random.Random) -> str:
    return f"{rnd.randint(0, 9)}.{rnd.randint(0, 24)}.{rnd.randint(0, 19)}"


def _wp_version(rnd: random.Random) -> str:
    return f"6.{rnd.randint(2, 8)}.{rnd.randint(0, 3)}"


def _php_version(rnd: random.Random) -> str:
    return rnd.choice(("7.4", "8.0", "8.1", "8.2", "8.3"))


def _order_id(rnd: random.Random) -> str:
    return f"ORD-{rnd.randint(10000, 99999)}"


def _ticket_id(rnd: random.Random) -> str:
    return f"TCK-{rnd.randint(1000, 99999)}"


def _tracking(rnd: random.Random) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "TRK" + "".join(rnd.choice(alphabet) for _ in range(3)) + _digits(rnd, 5)


def _date(rnd: random.Random) -> str:
    return f"{rnd.choice(MONTHS)} {rnd.randint(1, 28)}"


def _pct(rnd: random.Random) -> str:
    return f"{rnd.randint(2, 68)}%"


def _small_pct(rnd: random.Random) -> str:
    return f"{rnd.randint(1, 9)}.{rnd.randint(0, 9)}%"


def _cvss(rnd: random.Random) -> str:
    return f"{rnd.randint(4, 9)}.{rnd.randint(0, 9)}"


def _username(rnd: random.Random) -> str:
    return f"{rnd.choice(FIRST_NAMES)[0].lower()}{rnd.choice(LAST_NAMES).lower()}"


def _count(rnd: random.Random) -> str:
    return str(rnd.choice((2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 14, 17, 19, 23, 27, 31, 38, 42)))


def _big_count(rnd: random.Random) -> str:
    return f"{rnd.randint(1, 95)},{rnd.randint(0, 999):03d}"


def _hours(rnd: random.Random) -> str:
    return str(rnd.choice((2, 4, 6, 8, 12, 24, 36, 48, 72)))


def _seconds(rnd: random.Random) -> str:
    return f"{rnd.randint(1, 6)}.{rnd.randint(0, 9)} s"


def _sku(rnd: random.Random) -> str:
    return f"SKU-{rnd.choice('ABCDEFGHKMNPRSTW')}{rnd.randint(1000, 9999)}"


def _weight(rnd: random.Random) -> str:
    return f"{rnd.randint(1, 2)}.{rnd.randint(0, 9)} kg" if rnd.random() < 0.5 else f"{rnd.randint(180, 950)} g"


def _intensifier(rnd: random.Random) -> str:
    return f"{CASUAL_OPEN}{rnd.choice(INTENSIFIERS)} {CASUAL_CLOSE}"


def _team_member(rnd: random.Random) -> str:
    return rnd.choice(FIRST_NAMES)


def _rating(rnd: random.Random) -> str:
    return f"4.{rnd.randint(1, 9)}"


DIMENSION_COLUMNS = _words("region;plan_tier;channel;device_type;signup_cohort;category;country;payment_method")


def _keyword_volume(rnd: random.Random) -> str:
    return f"{rnd.randint(1, 60) * 100:,}"


SLOTS: dict[str, SlotSource] = {
    "first": FIRST_NAMES,
    "last": LAST_NAMES,
    "customer": _customer,
    "agent_person": _team_member,
    "owner": _team_member,
    "city": CITIES,
    "country": COUNTRIES,
    "month": MONTHS,
    "weekday": WEEKDAYS,
    "brand": BRANDS,
    "product": _product,
    "product_noun": PRODUCT_NOUNS,
    "material": MATERIALS,
    "color": COLORS,
    "feature": FEATURES,
    "feature2": FEATURES,
    "adj": ADJECTIVES,
    "adj2": ADJECTIVES,
    "int": _intensifier,
    "audience": AUDIENCES,
    "benefit": BENEFITS,
    "occasion": OCCASIONS,
    "price": _price,
    "sku": _sku,
    "weight": _weight,
    "carrier": CARRIERS,
    "ship_status": SHIP_STATUSES,
    "return_reason": RETURN_REASONS,
    "refund_method": REFUND_METHODS,
    "plan": PLANS,
    "account_feature": ACCOUNT_FEATURES,
    "support_issue": SUPPORT_ISSUES,
    "order_id": _order_id,
    "ticket_id": _ticket_id,
    "tracking": _tracking,
    "date": _date,
    "date2": _date,
    "pct": _pct,
    "pct2": _pct,
    "small_pct": _small_pct,
    "count": _count,
    "count2": _count,
    "big_count": _big_count,
    "hours": _hours,
    "seconds": _seconds,
    "package": PACKAGES,
    "version": _version,
    "fixed_version": _version,
    "cve": _cve,
    "cvss": _cvss,
    "vuln_type": VULN_TYPES,
    "severity": SEVERITIES,
    "component": COMPONENTS,
    "file_path": FILE_PATHS,
    "host": HOSTS,
    "actor": THREAT_ACTORS,
    "malware": MALWARE,
    "technique": TECHNIQUES,
    "sector": SECTORS,
    "role": IAM_ROLES,
    "permission": PERMISSIONS,
    "bucket": BUCKETS,
    "team": TEAMS,
    "username": _username,
    "metric": METRICS,
    "metric2": METRICS,
    "dimension": DIMENSIONS,
    "table": TABLES,
    "table2": TABLES,
    "period": PERIODS,
    "topic": TOPICS,
    "source": SOURCES,
    "project": PROJECTS,
    "keyword": KEYWORDS,
    "keyword2": KEYWORDS,
    "volume": _keyword_volume,
    "slug": SLUGS,
    "platform": PLATFORMS,
    "hashtag": HASHTAGS,
    "hashtag2": HASHTAGS,
    "campaign": CAMPAIGNS,
    "code": DISCOUNT_CODES,
    "segment": SEGMENTS,
    "plugin": PLUGINS,
    "plugin2": PLUGINS,
    "theme": THEMES,
    "wp_version": _wp_version,
    "php_version": _php_version,
    "wp_issue": WP_ISSUES,
    "page_type": PAGE_TYPES,
    "section": SECTIONS,
    "ticket_topic": TICKET_TOPICS,
    "sentiment": SENTIMENTS,
    "urgency": URGENCIES,
    "clause": CLAUSES,
    "party": PARTIES,
    "party2": PARTIES,
    "jurisdiction": JURISDICTIONS,
    "document": DOCUMENTS,
    "duration": DURATIONS,
    "condition": CONDITIONS,
    "symptom": SYMPTOMS,
    "habit": HABITS,
    "habit2": HABITS,
    "nutrient": NUTRIENTS,
    "package2": PACKAGES,
    "cve2": _cve,
    "version2": _version,
    "severity2": SEVERITIES,
    "fixed_version2": _version,
    "technique2": TECHNIQUES,
    "bucket2": BUCKETS,
    "period2": PERIODS,
    "owner2": _team_member,
    "team2": TEAMS,
    "weekday2": WEEKDAYS,
    "dimension2": DIMENSIONS,
    "dimension_col": DIMENSION_COLUMNS,
    "source2": SOURCES,
    "sku2": _sku,
    "color2": COLORS,
    "rating": _rating,
    "customer_first": FIRST_NAMES,
    "plan2": PLANS,
    "account_feature2": ACCOUNT_FEATURES,
    "jurisdiction2": JURISDICTIONS,
    "slug2": SLUGS,
}
