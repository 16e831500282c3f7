"""What each sample agent talks about: requests, answer sentences, follow-ups, failures and tools.

Every entry is a template of the mini grammar in ``_grammar`` (``[a|b]`` choices, ``{slot}`` fillers,
``«casual»``/``‹formal›`` segments). ``fixed`` names the slots held constant across one record, so a
product, order or CVE stays the same from the request to the answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agenthone.sample._grammar import Template, compile_template

__all__ = ["CHATTY_OPENERS", "DOMAINS", "POLICIES", "Domain", "ToolSpec"]


def _c(*texts: str) -> tuple[Template, ...]:
    return tuple(compile_template(t) for t in texts)


@dataclass(frozen=True)
class ToolSpec:
    """A function the agent may call in a chat: its schema, how its arguments and result look."""

    name: str
    description: str
    params: tuple[tuple[str, str, str], ...]
    """(name, JSON type, description)"""
    args: dict[str, str]
    """parameter -> template of its value"""
    result: dict[str, str]
    """result key -> template of its value"""
    args_t: dict[str, Template] = field(init=False, repr=False, compare=False)
    result_t: dict[str, Template] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "args_t", {k: compile_template(v) for k, v in self.args.items()})
        object.__setattr__(self, "result_t", {k: compile_template(v) for k, v in self.result.items()})

    def schema(self) -> dict[str, object]:
        props = {name: {"type": typ, "description": desc} for name, typ, desc in self.params}
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": {"type": "object", "properties": props, "required": [p[0] for p in self.params]},
            },
        }


@dataclass(frozen=True)
class Domain:
    """The text bank of one agent."""

    fixed: tuple[str, ...]
    requests: tuple[Template, ...]
    openers: tuple[Template, ...]
    body: tuple[Template, ...]
    closers: tuple[Template, ...]
    followups: tuple[Template, ...]
    failures: tuple[Template, ...]
    personas: tuple[Template, ...]
    tags: tuple[str, ...]
    tools: tuple[ToolSpec, ...] = ()
    casual: tuple[Template, ...] = ()
    """chatty, casual-only sentences (for agents that may write in a casual register)"""
    json_output: dict[str, str] | None = None
    """when set, some run outputs are this JSON object (key -> template)"""
    json_output_t: dict[str, Template] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        spec = self.json_output or {}
        object.__setattr__(self, "json_output_t", {k: compile_template(v) for k, v in spec.items()})


POLICIES = _c(
    "[Answer|Reply|Respond] [in plain English|in clear, short sentences|with a friendly but precise tone|"
    "without jargon] [and stay on topic|unless the user writes in another language|at all times]",
    "[Never|Do not] [share|reveal|expose] [internal notes|system details|other customers' data|pricing rules] "
    "[with the user|in replies|under any circumstances]",
    "[If you are unsure|When information is missing|If a request is ambiguous], [ask a clarifying question|"
    "say so plainly|hand over to a human] [instead of guessing|before acting|rather than inventing details]",
    "[Keep|Limit] [answers|replies|each response] [under|to about] {count} [sentences|short paragraphs|lines] "
    "[unless asked for more|where possible|for chat channels]",
    "[Use|Call] the [available|provided] tools [before answering questions about|to check] "
    "[orders|accounts|live data|current status|stock levels]",
    "[Cite|Mention|Reference] [the source|where a figure comes from|the relevant document] "
    "[for every claim|when you quote numbers|whenever possible]",
    "[Today is|The current date is] {weekday}, {date}[ and the team is based in {city}|; office hours are 9 to 5|]",
    "[Escalate|Hand off] [to a human agent|to the on-call lead|to a supervisor] [when|if] "
    "[the customer asks twice|a refund exceeds {price}|legal questions come up|the user is upset]",
    "[Write|Format] [lists|steps|options] as [short bullet points|numbered steps] "
    "[when there are more than {count} items|for readability|in longer answers]",
    "[The brand voice is|Our tone is|Write in a voice that is] [warm and direct|calm, expert and concise|"
    "upbeat but never pushy|plain-spoken and helpful|confident and kind]",
    "[Do not promise|Avoid promising|Never guarantee] [delivery dates|outcomes|discounts|timelines] "
    "[that the data does not support|you cannot verify|in writing]",
    "[Prefer|Favour|Suggest] [metric units|UK spelling|US spelling|short product names] "
    "[in every reply|unless the user uses another convention|throughout]",
)

CHATTY_OPENERS = _c(
    "«Hey there!»",
    "«Wow!»",
    "«Guess what?»",
    "«Okay, get ready!»",
    "«Oh, you're going to love this!»",
    "«Big news, friends!»",
    "«Psst, over here!»",
    "«Ready for something special?»",
    "«Hi friend!»",
    "«Good news!»",
)

_GENERIC_CLOSERS = (
    "[Happy to|Glad to|I can] [adjust|expand|shorten|rework] [this|any part of this|the wording] "
    "[if needed|on request|if you want a different angle|before it goes out]",
    "[Tell me|Just say|Reply] [if|whether] [you want|you would like|the team needs] "
    "[a shorter version|more detail on any point|a version for {audience}|this split into steps]",
)


DOMAINS: dict[str, Domain] = {}

DOMAINS["vuln"] = Domain(
    fixed=("package", "version", "cve", "fixed_version", "file_path", "component", "severity", "vuln_type"),
    requests=_c(
        "[Audit|Scan|Check] {file_path} [for known CVEs|for vulnerable dependencies|against the advisory feed] "
        "[before the {weekday} release|for {component}|and flag anything {severity}|please]",
        "Is {package} {version} [affected by|exposed to] {cve}? "
        "[We use it in|It ships with|It is pulled into] {component}",
        "[Triage|Assess|Summarise] {cve} [for our stack|for {component}|and tell me whether we must patch today]",
        "[Run a|Do a|Kick off a] [container|image|base-image] scan [of|on] {component} [and list|and rank] "
        "[the findings|anything above medium|new issues since {date}]",
        "[Which|What] [dependencies|packages] in {file_path} [need|require] [an upgrade|patching] "
        "[this sprint|before the audit|before {date}]?",
        "[Review|Check] [the lockfile|the manifest] {file_path} [after the merge from|following the bump by] "
        "the {team} team",
    ),
    openers=_c(
        "[Found|Identified|Flagged] {count} vulnerable [packages|dependencies] in {file_path}"
        "[, {count2} of them {severity}|; the most serious is {cve}|].",
        "{package} {version} [is affected by|is vulnerable to|matches] {cve}, a {severity}-severity "
        "{vuln_type} [issue|flaw|weakness].",
        "[Scan complete|The audit finished|Review done]: {component} [pulls in|depends on|bundles] {package} "
        "{version}[, which is flagged by {cve}|, listed under {cve}|].",
    ),
    body=_c(
        "[The flaw|The issue|This advisory] [allows|enables] [an unauthenticated attacker|a remote attacker|"
        "a signed-in user] [to trigger|to achieve|to cause] {vuln_type} [through|via] [crafted input|"
        "a malicious request|an oversized header|a poisoned archive].",
        "[Upgrade|Bump|Pin] {package} to {fixed_version} [or later|at minimum|to pick up the patch]"
        "[; the changelog lists no breaking changes|; it is a minor release|; {count} call sites need a retest|].",
        "[The CVSS base score|Its CVSS score|The severity score] is {cvss}[, and a public proof of concept exists|"
        ", with no known exploitation so far|; exploitation needs network access|].",
        "[Only|Just] {component} "
        "[calls the vulnerable code path|imports the affected module|uses the affected parser], "
        "so [the blast radius is limited|exposure is narrow|other services are not reachable].",
        "[It arrives|The package comes in] [as a transitive dependency|indirectly] [via|through] {package2}, "
        "[so the fix may need an override|so pin it in the resolutions block|which has not released an update yet].",
        "[If an upgrade is not possible|As a stopgap|Until the patch ships], [disable|restrict|rate-limit] "
        "[the affected endpoint|the parser feature|file uploads] in {component}.",
        "[{count} other|{count} further|Another {count}] findings are {severity} "
        "[and can wait for the regular update cycle|and already sit in the baseline|but are not reachable at runtime].",
        "[The scanner|This check] [matched|compared] {big_count} [components|packages] against "
        "[the advisory database|three advisory feeds|the vendor bulletins] [in|within] {seconds}.",
        "[Add|Record|Log] {cve} [to the risk register|on the sprint board|in the security backlog] "
        "[with|under] {owner} as owner[ and a due date of {date}|].",
        "[The base image|Its container base image] [is {count} patch releases behind|carries {count} outdated "
        "system packages][; rebuilding it clears most findings|; a rebuild is scheduled for {weekday}|].",
        "[Existing tests|The regression suite] [should cover|already covers] the upgrade"
        "[, but run the integration suite for {component}|; no API changes touch our usage|].",
        "{cve2} [was also reported|also appears] for {package2} {version2}, [rated|scored] {severity2}"
        "[ with a fix in {fixed_version2}|; no fix is out yet|].",
    ),
    closers=_c(
        "[Happy to|I can] [open a pull request|draft the upgrade PR|prepare a patch plan] "
        "[for these changes|for {package}|for the {team} team].",
        "[Re-run|Schedule] [the scan|this audit] after [the upgrade|merging the fix] to [confirm|verify] "
        "[the findings are closed|a clean result].",
    ),
    followups=_c(
        "[Does|Would] the upgrade to {fixed_version} [break anything|need a migration] in {component}?",
        "[Can you|Could you] [rank|sort] [these|the findings] by [exploitability|risk|effort]?",
        "What about {package2}? [Is it|Is that one] [affected|safe] [as well|too]?",
        "[Who|Which team] [owns|maintains] {component}, [and|so] [can we|should we] [ping them|open a ticket]?",
    ),
    failures=_c(
        "Error: advisory feed [unavailable|returned HTTP 503] after {seconds}; [scan aborted|no results]",
        "[Could not parse|Failed to parse] {file_path}: [unexpected token on line {count}|"
        "unsupported lockfile version]",
        "[Scan incomplete|Partial result]: [timed out|hit the token limit] while [resolving transitive dependencies|"
        "expanding the dependency tree]",
    ),
    personas=_c(
        "You are {agent}, [a security assistant|a dependency auditor|an application-security assistant] "
        "for the {team} team at {brand} [Labs|Systems|Cloud|Software]",
    ),
    tags=("security", "dependencies", "cve", "patching", "triage", "sbom"),
    tools=(
        ToolSpec(
            "lookup_cve",
            "Fetch advisory details for a CVE id",
            (("cve_id", "string", "CVE identifier"),),
            {"cve_id": "{cve}"},
            {"cve": "{cve}", "severity": "{severity}", "cvss": "{cvss}", "fixed_in": "{fixed_version}"},
        ),
        ToolSpec(
            "scan_manifest",
            "Scan a dependency manifest for known vulnerabilities",
            (("path", "string", "manifest path in the repository"),),
            {"path": "{file_path}"},
            {"packages_scanned": "{big_count}", "vulnerable": "{count}", "highest": "{severity}"},
        ),
    ),
)

DOMAINS["threat"] = Domain(
    fixed=("actor", "malware", "technique", "sector", "host", "date"),
    requests=_c(
        "[Enrich|Look up|Profile] [the indicators|the hashes and hostnames] from [the alert|ticket {ticket_id}|"
        "the overnight detections] on {host}",
        "[Write|Draft|Prepare] a [short|one-page|weekly] threat [report|brief] on {actor} [activity|campaigns] "
        "[against {sector}|in {country}|this month]",
        "[Is|Could] the [email|attachment|invoice lure] reported by {customer} [phishing|malicious]? "
        "[It mentions|It references] the {project}",
        "[What do we know about|Summarise recent reporting on|Give me context for] {malware} "
        "[and its loaders|in the {sector} sector|since {date}]",
        "[Map|Match] the [behaviour|activity] seen on {host} to MITRE ATT&CK [techniques|tactics]",
    ),
    openers=_c(
        "[The activity|What we saw] on {host} [matches|is consistent with|resembles] {malware} "
        "[tradecraft|delivery chains|infections] [linked to|attributed to] {actor}.",
        "{actor} [has stepped up|resumed|expanded] [campaigns|intrusions|phishing waves] [against|aimed at] "
        "{sector} [since {date}|over {period}|this quarter].",
        "[Verdict|Assessment]: [likely malicious|suspicious|benign with low confidence]"
        "[, based on {count} matching indicators|; the lure imitates an invoice from {brand}|].",
    ),
    body=_c(
        "[Initial access|The first stage] [typically uses|relies on|comes through] {technique}"
        "[, followed by {technique2}|, then lateral movement over remote services|].",
        "[Reporting from|Notes shared by] [{count} vendors|two CERTs|an industry ISAC] [tie|link|connect] "
        "{malware} to [ransomware affiliates|data-theft operations|access brokers] [in {country}|in {sector}|].",
        "[Block|Quarantine|Isolate] {host} [until|for now, until] [a forensic image is taken|the EDR sweep finishes|"
        "credentials are rotated].",
        "[Rotate|Reset|Revoke] [credentials|logins|tokens] for [accounts that signed in to|users active on] {host} "
        "[in the last {hours} hours|since {date}|during the alert window].",
        "[Confidence|Our confidence] in the attribution is [moderate|low|high] because "
        "[infrastructure overlaps|code reuse is partial|the lure style matches earlier waves].",
        "[Detections|Hunting queries] for {technique} [should cover|need to include] [script-block logs|"
        "parent-child process chains|new scheduled tasks] [on endpoints|across {count} hosts|in the SIEM].",
        "[The lure|The email] [impersonates|poses as|mimics] {brand} [billing|HR|shipping] and [asks the reader|"
        "pushes the victim] to [enable macros|open a password-protected archive|scan a QR code].",
        "[No|Few] [signs of|indicators of] [exfiltration|encryption|persistence] [were found|turned up] "
        "[so far|on {host}|in the first sweep][, but the sweep is {pct} complete|].",
        "[Share|Send] the [indicators|findings] with the {team} team [and|then] [add them to the blocklist|"
        "open an incident in the tracker|brief the on-call lead].",
        "{actor} [usually|often] [dwells|stays] [{count} to {count2} days|several weeks] "
        "[before|ahead of] [deploying payloads|moving to domain controllers|exfiltrating data].",
    ),
    closers=_c(
        "[Next update|The next brief] [will follow|comes] [on {weekday}|after the sweep|once the sandbox run ends].",
        "[Flag|Report] any [new|further] [detections|alerts] on {host} [to the SOC channel|to the on-call analyst].",
    ),
    followups=_c(
        "[Should we|Do we need to] [notify|warn] [customers|the {team} team|legal] [now|yet]?",
        "[Any|Are there] [other|related] hosts [showing|with] the same [behaviour|beaconing]?",
        "[How confident are you|What is the confidence] [in the {actor} link|about the attribution]?",
    ),
    failures=_c(
        "Error: sandbox detonation [failed|timed out] for the sample from {host}",
        "[Enrichment failed|Lookup failed]: threat-intel API returned [an empty response|HTTP 502]",
    ),
    personas=_c(
        "You are {agent}, [the threat-intelligence analyst|a SOC assistant|a cyber-threat researcher] "
        "[supporting|embedded with] the {team} team at {brand} [Bank|Health|Group|Logistics]",
    ),
    tags=("threat-intel", "phishing", "incident", "attck", "soc"),
    tools=(
        ToolSpec(
            "search_detections",
            "Search EDR detections for a host",
            (("host", "string", "host name"), ("hours", "integer", "look-back window in hours")),
            {"host": "{host}", "hours": "{hours}"},
            {"host": "{host}", "detections": "{count}", "top_family": "{malware}"},
        ),
        ToolSpec(
            "actor_profile",
            "Summarise a threat actor from the intel platform",
            (("actor", "string", "actor name"),),
            {"actor": "{actor}"},
            {"actor": "{actor}", "targets": "{sector}", "technique": "{technique}"},
        ),
    ),
)

DOMAINS["access"] = Domain(
    fixed=("role", "permission", "bucket", "team", "username"),
    requests=_c(
        "[Review|Audit|Check] the {role} role [for excessive permissions|against least privilege|"
        "before the SOC 2 audit]",
        "[Why does|How does] {username} [have|hold] {permission} on {bucket}? [Is that expected|Should it]?",
        "[List|Show] [users|service accounts] with {permission} [that have not used it|idle] "
        "[in {count} days|since {date}]",
        "[Approve or reject|Assess] the access request from {username} for {role} [on the {team} team|"
        "until {date}|for the {project}]",
        "[Summarise|Explain] [the policy changes|what changed in IAM] [this week|since {date}] for the {team} team",
    ),
    openers=_c(
        "The {role} role [grants|includes|carries] {permission} on {bucket}[, which is broader than the "
        "{team} team needs|; {count} principals inherit it|].",
        "{username} [received|was granted|picked up] {permission} [through|via] {role} [on {date}|"
        "during the {project} rollout|as a temporary exception].",
        "[Review complete|Access review done]: {count} of {count2} [permissions|grants] on {role} "
        "[look unused|are flagged|need an owner].",
    ),
    body=_c(
        "[Remove|Drop|Revoke] {permission} from {role} [and|then] [grant it only to|scope it to] "
        "[a break-glass account|the deploy pipeline|a named on-call engineer].",
        "[CloudTrail|The audit log] shows [no use of|{count} uses of] {permission} [in the last {count2} days|"
        "since {date}][, so removal is low risk|; all came from the CI runner|].",
        "[The grant|This access] [was approved|was requested] by {owner} [for|during] the {project} "
        "[and never expired|with no end date|as a one-week exception].",
        "[Add|Set] an [expiry|end date|review date] of {date} [to|on] [the exception|the temporary grant|"
        "{username}'s access].",
        "[Wildcard|Broad] resource scopes [on|in] {bucket} [let the role|allow the role to] [read every object|"
        "delete backups|change retention settings].",
        "[Multi-factor sign-in|MFA] is [not enforced|missing] for {count} [members|users] of {role}"
        "[, including {username}|; enforce it before {date}|].",
        "[Split|Separate] {role} into [read-only and admin variants|two narrower roles] "
        "[so the {team} team keeps day-to-day access|to pass the audit control].",
        "[The request|This request] [meets|does not meet] the [access policy|least-privilege standard] "
        "because [the ticket names a business reason|no manager approval is attached|the scope is too wide].",
        "{count} [service accounts|machine identities] [share|reuse] the same [key|credentials] "
        "[for|across] {bucket2} and {bucket}[, which breaks the rotation policy|].",
    ),
    closers=_c(
        "[I can|Happy to] [draft the policy diff|prepare the change request|file the ticket] "
        "[for the {team} lead|for approval|today].",
    ),
    followups=_c(
        "[What happens if|Will anything break if] we [remove|revoke] {permission} [today|now]?",
        "[Who approved|Who owns] {role} [originally|today]?",
        "[Can you|Could you] [check|list] [the other|similar] roles [with|holding] {permission}?",
    ),
    failures=_c(
        "Error: IAM policy simulator [unavailable|returned an access-denied error] for {role}",
        "[Could not load|Failed to load] the audit log for {bucket}: [permission denied|export still running]",
    ),
    personas=_c(
        "You are {agent}, [an access-review assistant|an identity and access auditor] for the {team} "
        "[platform|cloud|security] group at {brand}",
    ),
    tags=("iam", "access-review", "least-privilege", "audit"),
    tools=(
        ToolSpec(
            "get_role_policy",
            "Read the effective policy of an IAM role",
            (("role", "string", "role name"),),
            {"role": "{role}"},
            {"role": "{role}", "permissions": "{count}", "wildcards": "{count2}"},
        ),
    ),
)

DOMAINS["analytics"] = Domain(
    fixed=("metric", "dimension", "table", "period"),
    requests=_c(
        "[Why did {metric} [drop|jump|move]|What drove the change in {metric}|Explain the movement in {metric}] "
        "[over|during] {period}?",
        "[Write|Generate|Draft] SQL [to break down|that splits] {metric} by {dimension} [from|using] "
        "the {table} table[ for {period}|]",
        "[Summarise|Give me the headline of] the {metric} [report|dashboard] for {period} "
        "[for the leadership sync|in three sentences|for {owner}]",
        "[Is|Was] the [spike|drop|dip] in {metric} on {date} [real|a tracking issue|seasonal]?",
        "[Compare|Contrast] {metric} [and|with] {metric2} [across|by] {dimension} [for|over] {period}",
    ),
    openers=_c(
        "{metric} [moved|changed|shifted] by {pct} [over|during] {period}, [mostly|largely|chiefly] "
        "[driven by|explained by|coming from] {dimension}.",
        "[Here is|Below is] [a query|the SQL] [that joins|joining] {table} [to|with] {table2} "
        "[and groups|grouping] {metric} by {dimension}.",
        "[Headline|Summary]: {metric} [ended|closed] {period} [at|near] {big_count}, {pct} "
        "[above|below] [the prior period|target|the forecast].",
    ),
    body=_c(
        "[The largest|The biggest|The sharpest] [contribution|change|swing] [came from|sits in] [one|a single] "
        "{dimension} [segment|bucket], [which|that] [accounts for|explains] {pct} of the [movement|gap].",
        "[Excluding|Without|Once you remove] [test accounts|internal traffic|bot traffic], the [change|shift] "
        "[shrinks|narrows|falls] to {small_pct}.",
        "[Data|Rows] [for|from] {date} [are|look] [incomplete|partially loaded|delayed] in {table}"
        "[, so treat that day with care|; the backfill finishes on {weekday}|].",
        "[The same|A similar] [pattern|dip|lift] [appeared|showed up] during {period2}, [which suggests|pointing to] "
        "[seasonality|a recurring cycle|a calendar effect] [rather than a product issue|more than a bug].",
        "{metric2} [moved|went] [the other way|in step|only slightly], [so|which means] [the two|these metrics] "
        "[are|are not] [tightly linked|strongly correlated] [for|in] {dimension}.",
        "[Filter|Restrict] [on|to] [completed|paid|non-refunded] [rows|records] [in|from] {table} "
        "[before aggregating|to avoid double counting|so refunds do not skew the total].",
        "[A confidence interval|The 95% interval] [around|for] the [change|estimate] [is|spans] "
        "{small_pct} to {pct}[, so the shift is significant|; it is not yet significant|].",
        "[Track|Watch|Monitor] {metric} [daily|weekly] [for|over] the next {count} [days|weeks] "
        "[before|ahead of] [changing the forecast|acting on it|reporting a trend].",
        "[The query|This SQL] [scans|reads] about {big_count} rows [and runs|and finishes] in {seconds} "
        "[on the warehouse|on the reporting replica|with the current index].",
        "{owner} [asked|wanted to know] whether the {project} [affected|moved] {metric}; "
        "[the timing|the launch date] [lines up|does not line up] with the [change|shift].",
    ),
    closers=_c(
        "[I can|Happy to] [turn this into a chart|add a cohort view|schedule this as a weekly report] "
        "[for {owner}|for the dashboard|if useful].",
    ),
    followups=_c(
        "[Can you|Could you] [split|break] that [further|down] by {dimension2}?",
        "[Is that|Would that be] [statistically significant|enough data] [at|with] {count} [weeks|days] of data?",
        "[What|Which] [table|source] [should|would] [I|we] use for {metric2}?",
    ),
    failures=_c(
        "Error: [query failed|SQL error]: column [does not exist|is ambiguous] in {table}",
        "[Warehouse timeout|Query cancelled] after {seconds} while scanning {table}",
    ),
    personas=_c(
        "You are {agent}, [a data analyst|an analytics copilot|a BI assistant] [for|supporting] the {team} "
        "team at {brand}[; the warehouse is read-only|]",
    ),
    tags=("analytics", "sql", "kpi", "reporting", "dashboards"),
    tools=(
        ToolSpec(
            "run_sql",
            "Run a read-only SQL query on the warehouse",
            (("query", "string", "SQL text"),),
            {"query": "SELECT {dimension_col}, count(*) FROM {table} GROUP BY 1"},
            {"rows": "{count}", "elapsed": "{seconds}"},
        ),
    ),
)

DOMAINS["research"] = Domain(
    fixed=("topic", "source", "sector"),
    requests=_c(
        "[Summarise|Give me a brief on|Review the evidence on] {topic} [for|aimed at] [the {team} team|"
        "a non-expert audience|our {sector} clients]",
        "[Fact-check|Verify|Check] [this claim|the statement]: {topic} [cuts costs by|improves output by] {pct}",
        "[What are|List] the [main|key] [open questions|risks|trade-offs] in {topic}[ for {sector}|]?",
        "[Compare|Contrast] [the approaches|recent findings] on {topic} [from|in] {source} and {source2}",
        "[Find|Collect] [three|a few|{count}] [recent|credible] sources on {topic} [and rank them|with one-line notes]",
    ),
    openers=_c(
        "[Evidence on|Research into] {topic} [is mixed|is growing|remains thin] [but|and] "
        "[points to|suggests|hints at] [modest|real|uneven] [gains|benefits] [for {sector}|in practice|].",
        "[The claim|This statement] is [partly supported|not supported|broadly supported]: {source} "
        "[reports|finds|estimates] [a gain of|an effect of|a change of] {pct}[, not the figure quoted|].",
        "[Three|Several|{count}] [themes|threads|findings] [stand out|recur] [in|across] [the literature|"
        "recent work] on {topic}.",
    ),
    body=_c(
        "{source} [found|reported|measured] [an average|a median|a typical] [improvement|effect|change] of "
        "{pct}[, though the sample was small|, mostly in large firms|; results varied by region|].",
        "[Results|Findings] [differ|vary] [sharply|widely] [between|across] [studies|settings], "
        "[largely|mainly] because [definitions|baselines|time frames] [are not consistent|differ].",
        "[Costs|Up-front costs] [fall|drop] [after|within] {count} [months|years] [in most|in about half of the] "
        "[cases studied|deployments reviewed].",
        "[A key|The main|One important] [limitation|caveat|gap] is that [few studies|most trials|the evidence] "
        "[run|last|cover] [longer than|more than] {count} [months|years].",
        "[Practitioners|Teams in {sector}|Early adopters] [report|describe|cite] [integration effort|"
        "skills shortages|data quality] as the [main|biggest|most common] [barrier|obstacle].",
        "{source2} [disputes|questions|nuances] [this|the headline figure], [noting|arguing] that "
        "[selection effects|publication bias|short follow-up] [inflate|may inflate] the [gains|estimates].",
        "[For|In] {sector}, [the strongest|the clearest] [case|evidence] [sits in|concerns] [pilot projects|"
        "back-office work|customer-facing teams] [rather than|more than] [core operations|front-line roles].",
        "[A reasonable|A cautious|A fair] [reading|summary] is [an effect of|a gain of] {small_pct} to {pct}, "
        "[with|given] [wide uncertainty|moderate confidence|limited data].",
        "[Regulators in|Policy makers in] {country} [are drafting|have published] [guidance|rules] on {topic}"
        "[ due in {month}|, expected to affect {sector}|].",
    ),
    closers=_c(
        "[I can|Happy to] [expand|go deeper on] [any of these|the strongest source|the {sector} angle] "
        "[with full citations|in a longer memo].",
    ),
    followups=_c(
        "[How recent|How old] [are|is] [these sources|the evidence]?",
        "[Which|What] [source|study] [is|would be] [most|the most] [credible|rigorous] [here|of these]?",
        "[Does|Would] [this|that] [apply|hold] [to|for] [smaller firms|{sector}|companies in {country}]?",
    ),
    failures=_c(
        "[Search failed|Retrieval failed]: no documents matched {topic}",
        "Error: citation index [unavailable|returned malformed results]",
    ),
    personas=_c(
        "You are {agent}, [a research assistant|an evidence reviewer|a desk-research analyst] for "
        "{brand} [Advisory|Insights|Research]",
    ),
    tags=("research", "summary", "fact-check", "sources", "literature"),
    tools=(
        ToolSpec(
            "search_papers",
            "Search an index of papers and reports",
            (("query", "string", "search terms"), ("limit", "integer", "max results")),
            {"query": "{topic}", "limit": "{count}"},
            {"hits": "{count}", "top": "{source}"},
        ),
    ),
)

DOMAINS["meetings"] = Domain(
    fixed=("project", "owner", "date", "team"),
    requests=_c(
        "[Summarise|Write up|Condense] [the notes|the transcript] from [today's|the {weekday}|the latest] {project} "
        "[sync|stand-up|review]",
        "[Pull out|List|Extract] [the action items|owners and deadlines|the decisions] from the {project} "
        "[call|meeting|retro]",
        "[Draft|Write] [a recap|a follow-up note] [for|to] the {team} team [about|after] the {project} [review|sync]",
        "[What did we decide|What was agreed] about the {project} [on|at] the [{weekday}|last] [meeting|call]?",
    ),
    openers=_c(
        "[The|This week's|Today's] {project} [sync|review|call] [covered|focused on|dealt with] "
        "[scope|timelines|budget|risks] [and|plus] [{count} open questions|next steps|staffing].",
        "[Decision|Agreed|Outcome]: the {project} [moves|will move|shifts] to [the next phase|a {date} launch|"
        "a smaller pilot][, pending sign-off from {owner}|].",
        "[Key points|Highlights|Main points] from the {project} [meeting|discussion] "
        "[on {weekday}|with the {team} team]:",
    ),
    body=_c(
        "{owner} [will|agreed to] [send|share|circulate] [the revised plan|an updated estimate|the risk log] "
        "[by|before] {date}.",
        "[The team|Everyone|The group] [agreed|decided|settled] to [pause|descope|split] [the reporting work|"
        "the second milestone|the migration] [until|after] {date2}.",
        "[Budget|Spend] is [tracking|running] {pct} [over|under] [plan|forecast][, mainly due to contractor hours|"
        "; no action needed yet|].",
        "[Open question|Unresolved|Still open]: [who owns|how we handle|when we test] [the data migration|"
        "vendor sign-off|the rollback plan][ for the {project}|].",
        "{owner2} [raised|flagged|pointed out] [a risk|a dependency|a blocker] [on|with] the {team2} team's "
        "[API changes|release calendar|capacity].",
        "[Next|The next] [check-in|review|sync] is [on|set for] {weekday2}[ at {hours}:00|, same time|].",
        "[QA|Testing] [starts|begins] [on|after] {date2}[ with {count} test cases|, led by {owner2}|].",
        "[Customer|Stakeholder] feedback [from|during] the [pilot|beta|demo] was [mostly positive|mixed|"
        "encouraging], [with|and] [{count} requests for|questions about] [exports|permissions|pricing].",
    ),
    closers=_c(
        "[Reply here|Comment below|Flag it in the channel] [if anything is missing|with corrections|"
        "if an owner is wrong].",
    ),
    followups=_c(
        "[Who|Which person] [owns|is on] the [rollback plan|QA work|vendor follow-up]?",
        "[Can you|Could you] [turn|make] [these|the action items] [into|a] [a checklist|tickets]?",
        "[When|What date] [is|was] the [launch|deadline] [again|now]?",
    ),
    failures=_c(
        "[Transcript missing|No transcript found] for the {project} meeting on {date}",
        "Error: [audio transcription|speech-to-text] job [failed|timed out] after {seconds}",
    ),
    personas=_c(
        "You are {agent}, [a meeting assistant|a note-taking assistant|a project coordinator bot] for the "
        "{team} team at {brand}",
    ),
    tags=("meetings", "action-items", "summary", "projects"),
)

_PRODUCT_BODY = (
    "[The|This|Our] {product} [is|feels] {int}{adj} [and|yet] {adj2}, [made from|built from|cut from] "
    "{material}[ in {color}|]«!»‹.›",
    "[It|This one] [comes with|offers|adds] {feature}[ and {feature2}|], so it {benefit}«!»‹.›",
    "[Designed|Made|Built] for {audience}, [it|the {product_noun}] {benefit}[ without the bulk| on busy days|]«!»‹.›",
    "[At|Weighing just|Only] {weight}, [it|the {product_noun}] [is easy to carry|travels well|fits any bag]"
    "[ and {benefit}|]«!»‹.›",
    "[Available|It comes|Choose it] in {color} [and|or] {color2}[, priced at {price}|; {price} with free returns|]"
    "«!»‹.›",
    "«{You'll} love how the {material} feels every single day!»‹The {material} [ages well|"
    "holds up to daily use|stays smart for years].›",
    "«{It's} the {int}perfect pick for »‹It suits ›{occasion}[, whether you [commute|travel|work from home]|"
    " and beyond|]«!»‹.›",
    "[Every|Each] {product_noun} [is backed by|includes|ships with] [a two-year warranty|free repairs for a year|"
    "a 30-day return window]«, so {you're} {int}covered!»‹.›",
    "«And {it's} {int}easy to care for: »‹Care is simple: ›[wipe it clean|machine wash it cold|"
    "rinse it by hand][ and let it air dry|]«!»‹.›",
    "[Reviewers|Customers|Early buyers] [call it|describe it as|rate it] {int}{adj}[, with an average of "
    "{rating} stars|, and {pct} buy a second one|]«!»‹.›",
)
_PRODUCT_BODY_T = _c(*_PRODUCT_BODY)
_PRODUCT_CASUAL = (
    "«Seriously, {you're} going to love this one!»",
    "«Trust us, {you'll} thank us later!»",
    "«{Don't} wait too long, these go fast!»",
    "«Treat yourself, you deserve it!»",
    "«Go on, add it to your cart!»",
    "«Honestly, what more could you want?»",
    "«We're {int}obsessed, and {you'll} be too!»",
)

DOMAINS["product_copy"] = Domain(
    fixed=("product", "product_noun", "material", "color", "audience", "price", "sku"),
    requests=_c(
        "[Write|Draft|Create] a [product description|listing description|short description] for the {product}"
        "[ in {color}|]; [key features|highlights]: {feature}, {material}",
        "[Rewrite|Improve|Tighten] the title [of|for] {sku} ({product})[ for {platform}|for search|]",
        "[Give me|Write] [{count} bullet points|five bullets|a feature list] for the {product} "
        "[aimed at|for] {audience}",
        "[Write|Draft] copy for the {product} [for|ahead of] {occasion}[, under {count}0 words|]",
        "[Update|Refresh] the {product} page [to mention|so it highlights] {feature}[ and the {price} price|]",
    ),
    openers=_PRODUCT_BODY_T[:2],
    body=_PRODUCT_BODY_T,
    closers=_c(*_GENERIC_CLOSERS),
    followups=_c(
        "[Can you|Could you] make it [shorter|punchier|more premium] [for {platform}|for the mobile page|]?",
        "[Add|Mention] [the warranty|that it is {adj}|the {color} option][, please|]",
        "[What|Which] [title|headline] [would|should] [we|I] use [for search|on the category page]?",
    ),
    failures=_c(
        "[Missing|Incomplete] product data for {sku}: [no materials listed|no dimensions|no images]",
        "Error: product catalogue lookup failed for {sku}",
    ),
    personas=_c(
        "You are {agent}, [the copywriter|a product-content writer|a listing assistant] for {brand} "
        "[Outdoor|Home|Goods|Supply Co.]",
    ),
    tags=("product-copy", "ecommerce", "listing", "seo", "launch"),
    casual=_c(*_PRODUCT_CASUAL),
    tools=(
        ToolSpec(
            "get_product",
            "Fetch catalogue data for a SKU",
            (("sku", "string", "product SKU"),),
            {"sku": "{sku}"},
            {"sku": "{sku}", "name": "{product}", "material": "{material}", "price": "{price}"},
        ),
    ),
)

DOMAINS["orders"] = Domain(
    fixed=("order_id", "product", "carrier", "ship_status", "date", "tracking", "customer_first"),
    requests=_c(
        "[Where is|What is the status of|Any news on] [my order|order] {order_id}? [It was due|I expected it] "
        "[on {date}|last week|by {weekday}]",
        "[I want|I would like|Please help me] to [cancel|change|update] [order|my order] {order_id}"
        "[ before it ships|, it has the wrong size|]",
        "[Can I|How do I] [change the delivery address|add an item|switch to express shipping] [for|on] {order_id}?",
        "[My parcel|The package] [says delivered|shows as delivered] but [nothing arrived|it is not here]; "
        "order {order_id}",
        "[I was charged twice|The total looks wrong|I did not get my discount] [for|on] {order_id}",
    ),
    openers=_c(
        "Order {order_id} is {ship_status} with {carrier}[, tracking number {tracking}|].",
        "[Thanks for your patience|Thanks for reaching out|Sorry for the wait], {customer_first}: "
        "[I checked|I looked up] order {order_id}[ and found the issue|].",
        "[Your|The] {product} [from|in] order {order_id} [left our warehouse|shipped|was handed to {carrier}] "
        "on {date}.",
    ),
    body=_c(
        "{carrier} [now expects|estimates|lists] delivery [on|by] {date2}[, a day later than planned|"
        " between 9 and 5|].",
        "[The delay|The hold-up] [comes from|is due to] [a backlog at the sorting hub|weather on the route|"
        "a customs check|a missed scan] [near|outside] {city}.",
        "[I have|We have] [cancelled|updated|changed] the order[, and the refund of {price} goes back to "
        "{refund_method}|; a confirmation email is on its way|].",
        "[Refunds|The refund] [usually take|take] {count} to {count2} business days to [appear|show] "
        "[on your statement|in your account].",
        "[The address|Your delivery address] [can still be changed because the label is not printed yet|"
        "cannot be changed anymore because the parcel is already with {carrier}].",
        "[I have|We have] [opened|started|filed] a [trace request|claim|investigation] with {carrier}"
        "[ under case {ticket_id}|; they reply within {hours} hours|].",
        "[As an apology|To make up for it|For the trouble], [I added|we applied] [a {pct} credit|free shipping "
        "on your next order|the code {code}] [to your account|].",
        "[The duplicate charge|The second charge] is [a pending authorisation|a temporary hold] and [drops off|"
        "disappears] [within|in] {count} days.",
        "[Express|Next-day] shipping [is available|costs {price}] [for|on] [orders placed before 2 pm|"
        "addresses in {city}|this item].",
    ),
    closers=_c(
        "[Anything else|Is there anything else] I can [help with|check for you] [on this order|today]?",
        "[Reply here|Just reply] [if|when] [the parcel arrives|anything changes|you need more help].",
    ),
    followups=_c(
        "[Can you|Could you] [send|email] me the tracking link?",
        "[What if|And if] it [does not arrive|is still missing] by {date2}?",
        "[Thanks|Great], [and|but] [can I|could I] [still|also] [change the size|add a gift note]?",
        "[That|This] [is|seems] [too slow|not good enough]; [can you|could you] [expedite it|send a replacement]?",
    ),
    failures=_c(
        "Error: order service returned 404 for {order_id}",
        "[Could not reach|Timeout calling] the {carrier} tracking API after {seconds}",
    ),
    personas=_c(
        "You are {agent}, [the order assistant|a customer-care assistant|an order-support agent] for "
        "{brand} [Outdoor|Home|Goods|Store]",
    ),
    tags=("orders", "shipping", "refund", "resolved", "escalated", "tracking"),
    tools=(
        ToolSpec(
            "get_order",
            "Look up an order by id",
            (("order_id", "string", "order id"),),
            {"order_id": "{order_id}"},
            {"order_id": "{order_id}", "status": "{ship_status}", "carrier": "{carrier}", "eta": "{date2}"},
        ),
        ToolSpec(
            "track_shipment",
            "Get carrier tracking events",
            (("tracking_number", "string", "carrier tracking number"),),
            {"tracking_number": "{tracking}"},
            {"tracking_number": "{tracking}", "last_event": "{ship_status}", "location": "{city}"},
        ),
        ToolSpec(
            "issue_refund",
            "Refund an order fully or partly",
            (("order_id", "string", "order id"), ("amount", "string", "amount to refund")),
            {"order_id": "{order_id}", "amount": "{price}"},
            {"order_id": "{order_id}", "refunded": "{price}", "method": "{refund_method}"},
        ),
    ),
)

DOMAINS["catalog"] = Domain(
    fixed=("product", "sku", "material", "color", "product_noun"),
    requests=_c(
        "[Extract|Pull out|Identify] [attributes|specs|structured fields] from the supplier text for {sku}: "
        "{product}, {material}, {color}, {weight}",
        "[Map|Assign|Classify] {sku} ({product}) [to|into] [our taxonomy|the right category|a category path]",
        "[Normalise|Clean up|Standardise] [the colour and material fields|the size chart|the attributes] for {sku}",
        "[Find|Flag] [missing|inconsistent] attributes [in|across] the {brand} [feed|import batch]",
    ),
    openers=_c(
        "{sku} [maps to|belongs in|fits] [Home > Kitchen|Outdoor > Packs|Office > Furniture|Apparel > Outerwear|"
        "Pets > Accessories] [with|at] {pct} [confidence|certainty].",
        "[Extracted|Found|Parsed] {count} attributes for {sku}[: material {material}, colour {color}|].",
    ),
    body=_c(
        "[The|This] [supplier|vendor] [text|feed] [lists|gives] the [weight|size|capacity] [as|in] "
        "[imperial units|a free-text note|two conflicting values]; [I used|I kept] {weight}.",
        '[Colour|The colour value] ["{color}"|{color}] [was|has been] [normalised|mapped] to [the nearest '
        "palette entry|our standard list][, {color2}|].",
        "[Material|The material field] [reads|says] {material}[, which matches our controlled vocabulary|; "
        "I flagged it for review|].",
        "{count} [products|items] in the {brand} [batch|feed] [lack|are missing] [dimensions|care instructions|"
        "a country of origin].",
        "[The title|Its title] [repeats|duplicates] the brand [twice|name]; [I suggest|a better title is] "
        '"{product} in {color}".',
        "[Two|Several|{count}] [SKUs|listings] [look like|appear to be] duplicates of {sku2}[ with a different colour|"
        " from another supplier|].",
        "[Size charts|Sizing] [for|in] this [category|range] [use|follow] [EU sizes|US sizes|letter sizes]; "
        "[convert|map] them [before import|on upload].",
    ),
    closers=_c("[Review|Check] the [flagged|low-confidence] fields [before|prior to] [publishing|the import]."),
    followups=_c(
        "[Why|How come] [did you pick|is it in] that category?",
        "[Can you|Could you] [fix|fill] the missing [fields|attributes] [too|as well]?",
    ),
    failures=_c(
        "Error: supplier feed for {brand} [is empty|could not be decoded]",
        "[Low confidence|Unable to classify] {sku}: [no matching category|ambiguous product type]",
    ),
    personas=_c(
        "You are {agent}, [a catalogue enrichment assistant|a product-data specialist] for {brand} [Retail|Market]"
    ),
    tags=("catalog", "attributes", "taxonomy", "data-quality"),
    json_output={
        "sku": "{sku}",
        "category": "[Home > Kitchen|Outdoor > Packs|Office > Furniture|Apparel > Outerwear|Pets > Accessories]",
        "material": "{material}",
        "colour": "{color}",
        "weight": "{weight}",
        "confidence": "0.{count}",
    },
)

DOMAINS["seo"] = Domain(
    fixed=("keyword", "slug", "page_type", "volume"),
    requests=_c(
        '[Write|Draft|Suggest] a meta description for {slug}[ targeting "{keyword}"|]',
        '[Build|Create|Put together] a keyword plan [around|for] "{keyword}"[ for {month}|]',
        "[Audit|Review|Check] {page_type} [for on-page SEO|for search issues|for ranking problems]",
        '[Why did|How come] {slug} [drop|lose rankings|fall] [for|on] "{keyword}" [this week|since {date}]?',
        "[Suggest|Give me] [internal links|title tags|headings] for {slug}",
    ),
    openers=_c(
        '"{keyword}" [gets|has] about {volume} [monthly searches|searches a month][ with {severity} competition|].',
        '{slug} [ranks|sits] [around|at] position {count} for "{keyword}"[, down from {count2}|].',
        "[The audit|This review] [of|for] {page_type} [found|turned up] {count} [issues|problems|quick wins].",
    ),
    body=_c(
        '[Lead|Open] [the title|the meta description] with "{keyword}" and [keep it|stay] [under|below] '
        "[60|155] characters.",
        '[Target|Add|Cover] [the related phrase|the long-tail variant|the question] "{keyword2}" '
        "[in an H2|in the FAQ section|in the intro].",
        "[Competitors|The top results] [answer|cover] [the question|search intent] [in|within] "
        "[the first paragraph|a comparison table|a short list], [so|which means] {slug} [should too|needs the same].",
        '{count} [pages|URLs] [compete|overlap] for "{keyword}"; [merge|consolidate|canonicalise] them '
        "[into|onto] {slug}.",
        "[Images|Product images] on {page_type} [lack|are missing] [alt text|descriptive file names|dimensions]"
        "[, which hurts image search|].",
        "[Page speed|Load time] on {page_type} is {seconds} [on mobile|for first visits][, above the 2.5 s goal|].",
        "[Add|Insert] [{count} internal links|links] [from|on] [high-traffic posts|the category pages] "
        "[pointing to|towards] {slug}.",
        '[Search interest|Demand] for "{keyword}" [peaks|rises] [in|around] {month}, [so|and] '
        "[publish|refresh] [the page|the guide] [by|before] {date}.",
        "[Structured data|Schema markup] [for|on] {page_type} [is missing|has errors|is incomplete]"
        "[; add Product and FAQ markup|; {count} warnings in the test tool|].",
    ),
    closers=_c(*_GENERIC_CLOSERS),
    followups=_c(
        "[How long|How soon] [until|before] [we see|we could see] [results|movement] [in rankings|in traffic]?",
        "[Which|What] [keyword|page] [should|would] [we|you] [prioritise|tackle] first?",
    ),
    failures=_c(
        "Error: search console export [unavailable|returned no rows] for {slug}",
        "[Crawl failed|Could not crawl] {slug}: [robots.txt disallows it|timeout]",
    ),
    personas=_c(
        "You are {agent}, [an SEO specialist|a search-marketing assistant] for the {brand} [website|blog|store]"
    ),
    tags=("seo", "keywords", "content-audit", "rankings"),
    tools=(
        ToolSpec(
            "keyword_stats",
            "Search volume and difficulty for a keyword",
            (("keyword", "string", "search phrase"),),
            {"keyword": "{keyword}"},
            {"keyword": "{keyword}", "volume": "{volume}", "difficulty": "{count}"},
        ),
    ),
)

_SOCIAL_BODY = (
    "[Meet|Say hello to|Introducing] the {product}«, {int}{adj} and {int}{adj2}!»‹: {adj}, {adj2} and "
    "[built to last|made with care|designed for {audience}].›",
    "[This|Our] {campaign} [drop|edit|collection] [lands|goes live|arrives] on {date}«, and {it's} {int}good!»‹.›",
    "[Use|Apply|Enter] code {code} [for|to get] {pct} off [until|through] {date2}«, {don't} miss it!»‹.›",
    "[Tag|Show] [us|{brand}] [in|with] {hashtag} [to|and] [share your setup|be featured|join the community]"
    "«, we love seeing your pics!»‹.›",
    "[Made from|Crafted in|Built with] {material}, [it|the {product_noun}] {benefit}«, no joke!»‹.›",
    "«{You've} asked, we listened: »‹Following customer feedback, ›[the {color} colourway|the larger size|"
    "free engraving] is [back|here|now available]«!»‹.›",
    "[Perfect|Made|Ideal] for {audience} [and|or] {occasion}«, obviously!»‹.›",
    "[Join|Meet] [us|the team] [at|in] {city} [on|this] {weekday} [for|to see] [a live demo|the launch|"
    "a pop-up]«, {it's} going to be {int}fun!»‹.›",
)
_SOCIAL_BODY_T = _c(*_SOCIAL_BODY)

DOMAINS["social"] = Domain(
    fixed=("product", "product_noun", "campaign", "platform", "hashtag", "code"),
    requests=_c(
        "[Write|Draft|Create] a {platform} [post|caption] [for|about] the {product}[ for the {campaign} campaign|]",
        "[Give me|Write] [{count} caption options|three short captions] for {campaign} [on|for] {platform}",
        "[Draft|Write] a reply to [a customer comment|a review] [asking|complaining] about the {product}",
        "[Turn|Convert] [this blog post|the launch email] into a {platform} [thread|carousel|post]",
    ),
    openers=_SOCIAL_BODY_T[:2],
    body=_SOCIAL_BODY_T,
    closers=_c("{hashtag} {hashtag2}", "[Link in bio|Shop the link in bio|Details in our bio]«!»‹.›"),
    followups=_c(
        "[Can you|Could you] make it [shorter|more playful|less salesy] [for {platform}|]?",
        "[Add|Swap in] [a call to action|different hashtags|the discount code][, please|]",
    ),
    failures=_c("[Post too long|Caption exceeds] the {platform} limit; [trimmed output discarded|no output]"),
    personas=_c("You are {agent}, [the social media writer|a social content assistant] for {brand}"),
    tags=("social", "campaign", "captions", "engagement"),
    casual=_c(*_PRODUCT_CASUAL),
)

_EMAIL_BODY = (
    "[Subject|Subject line]: [Your|A] {campaign} [preview|pick|offer] [is here|inside|awaits]",
    "[Hi {customer_first}|Hello {customer_first}|Dear {customer_first}],«{You're} on the VIP list!»",
    "[Our|The] {campaign} [event|sale|collection] [starts|opens|goes live] on {date}[ with new {product_noun}s|"
    " across the store|]«, and {it's} {int}big!»‹.›",
    "[Members|Subscribers|You] [get|can claim] {pct} off [with|using] code {code} [until|through] {date2}"
    "«, so {don't} wait!»‹.›",
    "[Our|The] {product} [is back in stock|now comes in {color}|just got an upgrade]«, and {you'll} love it!»‹.›",
    "[Free shipping|Free returns|Gift wrapping] [applies|is included] [on orders over {price}|for {segment}|"
    "all month]«, {int}easy!»‹.›",
    "[Picked|Chosen|Selected] for {audience}, [this favourite|our best seller|this new arrival] {benefit}"
    "«, promise!»‹.›",
    "[Questions?|Need help?] [Reply to this email|Our team in {city} is here] [and we will help|"
    "Monday to Friday]«, {we're} {int}happy to chat!»‹.›",
)

DOMAINS["email"] = Domain(
    fixed=("campaign", "product", "product_noun", "code", "segment", "customer_first"),
    requests=_c(
        "[Write|Draft|Create] a [promo email|newsletter|launch email] for {campaign} [to|for] {segment}",
        "[Suggest|Give me] [{count} subject lines|five subject lines] for the {campaign} [email|send]",
        "[Rewrite|Refresh|Improve] the [welcome email|win-back email|abandoned-cart email] for {segment}",
        "[Write|Draft] a [short|two-paragraph] announcement [of|about] the {product} [for|to] {segment}",
    ),
    openers=_c(*_EMAIL_BODY[:2]),
    body=_c(*_EMAIL_BODY[2:]),
    closers=_c(
        "[Warmly|Best|Cheers], the {brand} team",
        "[See you soon|Talk soon|Happy shopping], {brand}",
    ),
    followups=_c(
        "[Can you|Could you] [A/B test|write a second version of] the subject line?",
        "[Make|Keep] it [shorter|under 120 words|more personal][, please|]",
    ),
    failures=_c("Error: [audience segment|segment definition] {segment} [not found|is empty]"),
    personas=_c("You are {agent}, [an email marketing writer|a lifecycle email assistant] for {brand}"),
    tags=("email", "newsletter", "campaign", "lifecycle"),
    casual=_c(*_PRODUCT_CASUAL),
)

DOMAINS["wp_audit"] = Domain(
    fixed=("plugin", "wp_version", "php_version", "wp_issue", "theme", "version"),
    requests=_c(
        "[Audit|Review|Check] the {plugin} plugin [for security issues|before we update it|on the staging site]",
        "[Is|Will] {plugin} {version} [compatible with|safe on] WordPress {wp_version} and PHP {php_version}?",
        "[Which|What] plugins [need updates|are abandoned|are risky] on [the shop site|the blog|our multisite]?",
        "[Check|Review] [the|our] {theme} child theme [and|with] {plugin} [for conflicts|after the update]",
    ),
    openers=_c(
        "{plugin} {version} [has|shows] {wp_issue}[ in its admin screens|in the settings page|].",
        "[Audit complete|Review done]: {count} of {count2} [active|installed] plugins [need|require] "
        "[updates|attention][, {plugin} first|].",
        "{plugin} {version} is [compatible|not yet tested] with WordPress {wp_version} [on|and] PHP {php_version}.",
    ),
    body=_c(
        "[The fix|A patch] [landed|shipped] in {plugin} {fixed_version}[; update during the next maintenance window|"
        "; the changelog confirms it|].",
        "[The last|Its last] [release|update] was on {date}[, and the support forum has {count} unanswered threads|"
        "; it looks maintained|].",
        "[Disable|Deactivate] {plugin2} [first|before updating]; [it|that plugin] [hooks into|overrides] the same "
        "[filters|templates|REST routes].",
        "[Run|Take] a [full backup|database snapshot] [with|using] [UpdraftPlus|the host's tool|WP-CLI] "
        "[before|ahead of] [the update|any change].",
        "PHP {php_version} [deprecates|removes] [a function|dynamic properties] [used by|relied on by] {plugin}"
        "[, which fills the error log|; expect notices after the upgrade|].",
        "[The|This] {theme} [template override|child theme] [for|of] [the cart|single product pages] is "
        "{count} versions [behind|out of date].",
        "[Switch|Move] [the contact form|SMTP settings|caching] [to|from] {plugin2} [to reduce overlap|"
        "to drop one plugin|for fewer conflicts].",
        "[Remove|Delete] [inactive|unused] plugins[ such as {plugin2}|]; [they|inactive code] still [ship|carry] "
        "[vulnerable files|an attack surface].",
    ),
    closers=_c("[Retest|Check] [the checkout|forms|the login page] [after|once] [updating|the change is live]."),
    followups=_c(
        "[Can we|Is it safe to] [auto-update|update] {plugin} [now|tonight]?",
        "[Is there|Do you know] [an alternative|a lighter replacement] [to|for] {plugin}?",
    ),
    failures=_c(
        "Error: WP-CLI [could not connect|authentication failed] to the site",
        "[Plugin repository|Plugin directory API] lookup failed for {plugin}",
    ),
    personas=_c("You are {agent}, [a WordPress maintenance assistant|a plugin auditor] for the {brand} [site|network]"),
    tags=("wordpress", "plugins", "updates", "security", "compatibility"),
    tools=(
        ToolSpec(
            "get_plugin_info",
            "Read plugin metadata from the site",
            (("plugin", "string", "plugin name"),),
            {"plugin": "{plugin}"},
            {"plugin": "{plugin}", "version": "{version}", "tested_up_to": "{wp_version}"},
        ),
    ),
)

_BLOG_BODY = (
    "[Choosing|Picking|Finding] the right {product_noun} [starts with|comes down to|depends on] "
    "[how you use it|your routine|the space you have]«, and {it's} {int}simple, really!»‹.›",
    "[Most|Many] {audience} [overlook|forget|underestimate] {feature}«, but {it's} a total game changer!»‹, "
    "which matters more than it seems.›",
    "[In|For] our [tests|review|comparison], [models with|options with] {material} [lasted|held up] "
    "{count} [months|seasons] longer[ on average|]«, wow!»‹.›",
    "[Start|Begin] with [the basics|a simple setup|one change]: {habit}«, {you'll} feel the difference right away!»‹.›",
    "[Budget|Price] [matters|counts], [but|yet] [the cheapest|a bargain] {product_noun} [often|usually] "
    "[costs more|works out dearer] [over time|in the long run]«, trust us!»‹.›",
    "«{Here's} the {int}fun part: »‹Importantly, ›[small tweaks|tiny habits|a few swaps] [add up|compound] "
    "[over|across] {count} [weeks|months]«!»‹.›",
    "[Readers in|People living in] {city} [told us|shared] that the {product_noun} {benefit}«, how cool is that?»‹.›",
    "[Section|Next up|Heading]: {section}",
)
_BLOG_BODY_T = _c(*_BLOG_BODY)

DOMAINS["blog"] = Domain(
    fixed=("topic", "product_noun", "audience", "keyword"),
    requests=_c(
        '[Write|Draft] a blog post [about|on] "{keyword}" [for|aimed at] {audience}[, about 800 words|]',
        "[Outline|Plan|Structure] a post on {topic}[ with {count} sections|]",
        '[Write|Draft] an intro paragraph for [a post|an article] titled "{section}: {keyword}"',
        '[Refresh|Update] [our|the] [old|2023] post on "{keyword}" [with new examples|for {month}]',
    ),
    openers=_BLOG_BODY_T[:2],
    body=_BLOG_BODY_T,
    closers=_c(*_GENERIC_CLOSERS),
    followups=_c(
        "[Can you|Could you] [add|write] a [conclusion|FAQ section|call to action]?",
        "[Make|Keep] the [tone|intro] [lighter|more expert|more concise][, please|]",
    ),
    failures=_c(
        "[Draft incomplete|Output truncated] at section {count}", 'Error: editorial brief for "{keyword}" not found'
    ),
    personas=_c(
        "You are {agent}, [the blog writer|a content writer|an editorial assistant] for the {brand} [journal|blog]"
    ),
    tags=("blog", "content", "editorial", "seo"),
    casual=_c(*_PRODUCT_CASUAL),
)

DOMAINS["site_doctor"] = Domain(
    fixed=("page_type", "plugin", "theme", "seconds", "slug"),
    requests=_c(
        "[Why is|What makes] {page_type} [so slow|load slowly] [on mobile|since the update|this week]?",
        "[Find|List|Report] broken links [on|across] [the blog|{slug}|the shop]",
        "[Check|Verify] [the backups|last night's backup|the backup schedule] for the {brand} site",
        "[Fix|Improve] [Core Web Vitals|LCP|layout shift] on {page_type}",
    ),
    openers=_c(
        "{page_type} [loads|renders] in {seconds} [on mobile|on a 4G connection|for new visitors]"
        "[, mainly because of {wp_issue}|].",
        "[Found|Detected] {count} broken links[ on {slug}|, most pointing to retired pages|].",
        "[The last|The latest] backup [finished|completed|ran] on {date}[ and is {count} GB|; restore tested|].",
    ),
    body=_c(
        "[Compress|Convert] [hero images|product photos] to [WebP|AVIF] [to save|and save] about {pct} "
        "[of page weight|in transfer size].",
        "[Defer|Delay] [non-critical scripts|the chat widget|analytics tags] [until|after] [user interaction|"
        "the first paint].",
        "{plugin} [adds|loads] {count} [extra requests|scripts|stylesheets] [on every page|site-wide]"
        "[; load it only where needed|].",
        "[Enable|Turn on] [page caching|object caching|a CDN] [for|on] {page_type}[ with a {hours}-hour TTL|].",
        "[Redirect|Point] [the retired pages|old URLs] [to|at] {slug2} [with|using] [301 redirects|"
        "the Redirection plugin].",
        "[The|Your] {theme} theme [loads|bundles] [three font families|an icon font|a slider library] "
        "[that|which] [the pages|{page_type}] [barely use|never use].",
        "[Backups|Snapshots] [are kept|are stored] for {duration}[ off-site|; extend that before the audit|].",
    ),
    closers=_c("[Measure|Re-test] [again|the page] [after|once] [the changes|the fixes] [go live|are deployed]."),
    followups=_c(
        "[How much|What] [faster|improvement] [could we get|would that give] [on mobile|overall]?",
        "[Can|Should] [we|I] [remove|replace] {plugin}?",
    ),
    failures=_c("Error: PageSpeed API quota exhausted", "[Crawl aborted|Link check failed] after {seconds}"),
    personas=_c("You are {agent}, [a site-health assistant|a WordPress performance specialist] for {brand}"),
    tags=("performance", "core-web-vitals", "backups", "links"),
)

DOMAINS["support"] = Domain(
    fixed=("support_issue", "plan", "account_feature", "ticket_id", "customer_first"),
    requests=_c(
        "[I keep getting|I have|There is] {support_issue} [on my account|since {date}|with the {plan}]; "
        "[please help|what should I do]?",
        "[How do I|Where can I|Can I] [turn on|set up|find] {account_feature} [on|with] the {plan}?",
        "[Draft|Write] a reply to ticket {ticket_id} about {support_issue}",
        "[Write|Draft] an escalation note for {ticket_id}[: the customer reports {support_issue}|]",
        "[Answer|Reply to] [this FAQ|a customer question]: [does|can] the {plan} [include|support] {account_feature}?",
    ),
    openers=_c(
        "[Thanks for|Thank you for] [reaching out|your message|flagging this], {customer_first}[, and sorry about "
        "{support_issue}|].",
        "[I looked into|We checked|I reviewed] ticket {ticket_id}[ about {support_issue}|].",
        "[Yes|Good news], the {plan} [includes|supports|comes with] {account_feature}.",
    ),
    body=_c(
        "[Please|Could you] [sign out|log out] [and back in|on all devices], [then|and] [clear the cache|"
        "try again in a private window].",
        "[Go to|Open] [Settings|Account] > [Billing|Security|Preferences] and [switch on|enable|select] "
        "{account_feature}.",
        "[Our|The] [engineering|billing] team [fixed|resolved|is fixing] [a related bug|the root cause] "
        "[on|since] {date}[, and a fix ships on {weekday}|].",
        "[I have|We have] [reversed|refunded|credited] the [extra charge|duplicate payment] of {price}"
        "[ to your card|; allow {count} business days|].",
        "[If it happens again|Should it come back], [send us|reply with] [a screenshot|the time it happened|"
        "your browser version] [so we can|and we will] [trace it|dig deeper].",
        "[This|The issue] [affects|touches] [a small number of|about {pct} of] [accounts|{plan} users] "
        "[and|but] [is not|is not yet] [fixed|resolved] [everywhere|in the app].",
        "[Escalation|Internal note]: [customer|{customer_first}] [has contacted us|wrote in] {count} times "
        "[about|regarding] {support_issue}[; please prioritise|].",
        "[Upgrading|Moving] to the {plan2} [adds|unlocks] {account_feature2} [for|at] {price} a month.",
    ),
    closers=_c(
        "[I will|We will] [keep the ticket open|follow up] [until|for] [you confirm it works|{count} days].",
        "[Reply to this message|Just reply] [if|whenever] [you need anything else|it happens again].",
    ),
    followups=_c(
        "[It|That] [still|did not] [does not work|work]; [what else|anything else] can I try?",
        "[How long|When] [will|does] the fix [take|arrive]?",
        "[Can I|Could I] [talk to|speak with] a [person|human|manager]?",
    ),
    failures=_c(
        "Error: helpdesk API returned 500 for ticket {ticket_id}",
        "[Knowledge base search failed|No article found] for {support_issue}",
    ),
    personas=_c(
        "You are {agent}, [a support assistant|the help-desk agent|a customer-support writer] for "
        "{brand} [App|Cloud|Store]"
    ),
    tags=("support", "billing", "bug", "resolved", "escalated", "how-to"),
    tools=(
        ToolSpec(
            "search_kb",
            "Search help-centre articles",
            (("query", "string", "search terms"),),
            {"query": "{support_issue}"},
            {"article": "[How to fix|Troubleshooting|Understanding] {support_issue}", "score": "0.{count}"},
        ),
        ToolSpec(
            "create_ticket",
            "Open a support ticket",
            (("summary", "string", "one-line summary"), ("priority", "string", "low, normal, high")),
            {"summary": "{support_issue}", "priority": "{urgency}"},
            {"ticket_id": "{ticket_id}", "status": "open"},
        ),
    ),
)

DOMAINS["returns"] = Domain(
    fixed=("order_id", "product", "return_reason", "refund_method", "customer_first", "price"),
    requests=_c(
        "[I want to|I would like to|Can I] return the {product} from {order_id}; {return_reason}",
        "[Can I|How do I] [exchange|swap] the {product} [for another size|for a different colour|for the newer model]?",
        "[My|The] {product} [broke|stopped working|is faulty] [after|within] {count} [weeks|months]; "
        "[is it|is that] [under warranty|covered]?",
        "[When|Where] [is|will I get] my refund for {order_id}?",
    ),
    openers=_c(
        "[I am sorry|Sorry to hear|That is frustrating] that {return_reason}, {customer_first}.",
        "[Your|The] return for {order_id} is [approved|registered|confirmed][; the label is attached|].",
        "[Yes|Good news], the {product} is [still|well] [within|inside] the [return window|warranty period].",
    ),
    body=_c(
        "[Drop|Take] the parcel [at|to] any {carrier} [point|location] [within|in the next] {duration}.",
        "[Once|When] [it reaches|we receive it at] our warehouse, the refund of {price} [goes to|is paid to] "
        "{refund_method} [within|in] {count} days.",
        "[An exchange|A replacement] [ships|goes out] [as soon as|when] the [return is scanned|parcel is scanned]"
        "[, so you will not wait twice|].",
        "[Please|Kindly] [include|keep] [the original packaging|all accessories|the receipt] [if you still have it|"
        "where possible].",
        "[Warranty claims|Repairs] [take|usually take] {count} to {count2} [business days|days][ after inspection|].",
        "[I have|We have] [added|sent] a [prepaid label|QR code] [to your email|to your account][ for {carrier}|].",
        "[Returns|Refunds] [for|on] [sale items|gift orders] [go to|are issued as] store credit "
        "[under our policy|as standard].",
    ),
    closers=_c("[Anything else|Is there anything else] I can [help with|do for you]?"),
    followups=_c(
        "[Do I|Will I] [pay|need to pay] for [return shipping|the label]?",
        "[Can I|Could I] [get|have] [cash back|a refund] [instead of|rather than] [credit|an exchange]?",
    ),
    failures=_c("Error: returns portal [unavailable|timed out] for {order_id}"),
    personas=_c(
        "You are {agent}, [the returns assistant|a returns and warranty specialist] for {brand} [Store|Outdoor|Home]"
    ),
    tags=("returns", "refund", "exchange", "warranty", "resolved"),
    tools=(
        ToolSpec(
            "create_return",
            "Create a return authorisation",
            (("order_id", "string", "order id"), ("reason", "string", "return reason")),
            {"order_id": "{order_id}", "reason": "{return_reason}"},
            {"rma": "RMA-{count}{count2}", "label": "sent", "refund": "{price}"},
        ),
    ),
)

DOMAINS["triage"] = Domain(
    fixed=("ticket_id", "ticket_topic", "sentiment", "urgency", "customer_first"),
    requests=_c(
        '[Triage|Classify|Tag] ticket {ticket_id}: "{support_issue}, [this is the third time|I need this fixed|'
        'please hurry]"',
        "[Score|Rate|Label] the sentiment of [the latest|these] {count} [tickets|messages] [about|on] {ticket_topic}",
        "[Route|Assign] {ticket_id} [to the right queue|to a team][; customer: {customer_first}|]",
    ),
    openers=_c(
        "Ticket {ticket_id}: [topic|category] {ticket_topic}, sentiment {sentiment}, urgency {urgency}.",
        "[Of|Across] the {count} tickets, [most|the majority] are {sentiment}[ and {pct} mention {ticket_topic}|].",
    ),
    body=_c(
        "[Route|Send] it to the {ticket_topic} queue[ with {urgency} priority|; {agent_person} is on shift|].",
        "[The customer|{customer_first}] [mentions|refers to] [a previous ticket|an earlier contact|a chargeback] "
        "[, so|which means] [the tone is|it reads as] {sentiment}.",
        '[Keywords|Signals] [such as|like] ["third time"|"cancel"|"refund"] [raise|push up] the urgency.',
        "[No|Some] [personal data|account details] [appear|show up] in the [message|ticket][; redact before sharing|].",
        "[Similar|Related] tickets [this week|today]: {count}[, all about {support_issue}|].",
    ),
    closers=_c("[Confidence|Classifier confidence]: 0.{count}{count2}"),
    followups=_c("[Why|How] [did you|come you] [mark|rated] it {urgency}?"),
    failures=_c("Error: classifier returned an empty label set for {ticket_id}"),
    personas=_c("You are {agent}, [a ticket triage assistant|a support routing model] for {brand}"),
    tags=("triage", "sentiment", "routing"),
    json_output={
        "ticket_id": "{ticket_id}",
        "topic": "{ticket_topic}",
        "sentiment": "{sentiment}",
        "urgency": "{urgency}",
        "confidence": "0.{count}",
    },
)

DOMAINS["legal"] = Domain(
    fixed=("clause", "party", "party2", "jurisdiction", "document", "duration"),
    requests=_c(
        "[Draft|Write|Propose] a {clause} clause for our {document} with {brand}[ under the laws of {jurisdiction}|]",
        "[Summarise|Explain] [the|our] {document} [in plain English|for the {team} team|for customers]",
        "[Update|Revise] the {clause} [section|terms] [to reflect|for] [the new {duration} notice period|"
        "our move to {jurisdiction}|the new pricing]",
        "[Review|Check] [this|the] {clause} clause [for|against] "
        "[market standard|our playbook|the {jurisdiction} rules]",
    ),
    openers=_c(
        "[Here is|Below is|Proposed] [a|the] {clause} clause [for|drafted for] the {document}.",
        "[In short|In plain terms|Put simply], the {document} [sets out|explains|describes] how {party} and "
        "{party2} [share|handle|divide] [risk|data|payments].",
    ),
    body=_c(
        "{party} [shall|will] [give|provide] {party2} [at least|no less than] {duration} written notice "
        "[before|prior to] [terminating|changing] the [agreement|services].",
        "[Liability|Total liability] [under|arising from] this {document} [is capped at|shall not exceed] "
        "[the fees paid in the prior {duration}|twice the annual fees].",
        "[Neither party|No party] [is liable|shall be liable] for [indirect|consequential] losses[, including "
        "lost profits|, except for breaches of confidentiality|].",
        "[This clause is governed by|These terms are governed by|These terms follow] the laws of {jurisdiction}"
        "[, and disputes go to its courts|].",
        "{party2} [may|can] [request|ask for] [deletion|a copy] of [its|their] data [at any time|within {duration}].",
        "[Confidential information|Shared material] [must|shall] [stay confidential|be protected] for {duration} "
        "[after|following] [termination|the end of the agreement].",
        "[Renewal|The renewal] [happens|is] [automatic|automatically] [every|each] {duration} [unless|except where] "
        "[either party objects|notice is given].",
        "[Compared with|Against] [market practice|our playbook], [the cap|this wording] is [favourable|standard|"
        "aggressive] [for|towards] {party}.",
    ),
    closers=_c(
        "[Have counsel|Have your legal team|Ask counsel to] [review|check] the [final|signed] wording "
        "[before|ahead of] "
        "[signature|publication]",
    ),
    followups=_c(
        "[Is|Would] [this|that] [enforceable|valid] in {jurisdiction2}?",
        "[Can you|Could you] make the [cap|notice period] [stricter|more balanced]?",
    ),
    failures=_c("[Template not found|Missing playbook] for {clause} in {jurisdiction}"),
    personas=_c(
        "You are {agent}, [a contract drafting assistant|a legal-operations assistant] for {brand} [Legal|Counsel]"
    ),
    tags=("legal", "contracts", "policy", "compliance"),
)

DOMAINS["health"] = Domain(
    fixed=("condition", "symptom", "habit", "nutrient"),
    requests=_c(
        "[Write|Draft] a [short|patient-friendly|reader-friendly] article on {condition}[ for our newsletter|]",
        "[Answer|Write an FAQ answer to]: [is|can] {symptom} [a sign of|linked to] {condition}?",
        "[Give|Share] [three|{count}] [tips|habits] [for|to help with] {condition}",
        "[Explain|Summarise] [how|why] {nutrient} [helps|matters] [with|for] {condition}",
    ),
    openers=_c(
        "[Dealing with|Managing|Living with] {condition} [is common|is easier than it sounds|worries many adults], "
        "[and|but] it [usually|often] [gets better with|responds well to] "
        "[simple changes|rest and routine|early care].",
        "{symptom} [can|may] [accompany|come with|point to] {condition}, [but|though] [it|this] has "
        "[many|several] [possible|other] causes.",
    ),
    body=_c(
        "[Start|Try] [with|by adding] {habit}[ for {count} weeks|, then review how you feel|].",
        "{nutrient} [supports|contributes to] [normal|healthy] [recovery|muscle function|energy levels], "
        "[and|so] [foods like|sources such as] [lentils, oats and greens|nuts and seeds|fish and eggs] [help|count].",
        "[See|Contact|Speak to] a [doctor|GP|pharmacist] [if|when] {symptom} [lasts more than|persists beyond] "
        "{duration}[ or gets worse|].",
        "[Many people|Most adults|Some readers] [find|notice] that {habit2} [eases|reduces|helps with] {symptom}.",
        "[Keep|Use] a [short|simple] diary of [symptoms|triggers|sleep] [for|over] {count} [days|weeks] "
        "[to spot|so you can see] [patterns|what helps].",
        "[Avoid|Limit] [self-diagnosis|guesswork] [from|based on] [online checklists|forums]; [symptoms|signs] "
        "[overlap|vary] [a lot|between people].",
    ),
    closers=_c(
        "[Small|Steady|Consistent] [changes|habits] [usually|often] [work better|last longer] [than|than quick fixes]."
    ),
    followups=_c(
        "[Is|Are] [supplements|{nutrient} supplements] [worth it|safe] [for|with] {condition}?",
        "[How long|When] [should|does] [it|recovery] [take|usually take]?",
    ),
    failures=_c("[Blocked|Refused]: request asked for a diagnosis; referred to a clinician"),
    personas=_c("You are {agent}, [a health content writer|a wellness editor] for {brand} [Health|Clinic|Wellbeing]"),
    tags=("health", "wellness", "faq", "content"),
)
