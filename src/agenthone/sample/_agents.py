"""The sample fleet: twenty agents over the seven categories, the models they call and what those cost."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AGENTS", "MODELS", "OMISSION_PHRASES", "AgentSpec", "Model", "Task"]


@dataclass(frozen=True)
class Model:
    name: str
    price_in: float
    """USD per million prompt tokens"""
    price_out: float
    """USD per million completion tokens"""
    latency_p50_ms: float


MODELS: dict[str, Model] = {
    m.name: m
    for m in (
        Model("gpt-4o-mini", 0.15, 0.60, 1100.0),
        Model("gpt-4o", 2.50, 10.00, 2300.0),
        Model("claude-3-5-sonnet", 3.00, 15.00, 2700.0),
        Model("claude-3-5-haiku", 0.80, 4.00, 1250.0),
        Model("llama-3.1-8b", 0.05, 0.08, 750.0),
        Model("llama-3.1-70b", 0.59, 0.79, 1800.0),
    )
}


@dataclass(frozen=True)
class Task:
    name: str
    tokens_in: int
    """median prompt tokens"""
    tokens_out: int
    """median completion tokens"""
    weight: float = 1.0


@dataclass(frozen=True)
class AgentSpec:
    name: str
    agent_id: str
    category: str
    domain: str
    tasks: tuple[Task, ...]
    intents: tuple[str, ...]
    models: tuple[tuple[str, float], ...]
    versions: int
    run_weight: float
    chat_weight: float
    roles: frozenset[str]
    """planted effects this agent is a plausible carrier of"""

    @property
    def model_names(self) -> list[str]:
        return [m for m, _ in self.models]


def _agent(
    *,
    name: str,
    agent_id: str,
    category: str,
    domain: str,
    tasks: tuple[Task, ...],
    intents: tuple[str, ...],
    models: tuple[tuple[str, float], ...],
    versions: int,
    runs: float,
    chats: float,
    roles: str,
) -> AgentSpec:
    return AgentSpec(
        name, agent_id, category, domain, tasks, intents, models, versions, runs, chats, frozenset(roles.split())
    )


AGENTS: tuple[AgentSpec, ...] = (
    _agent(
        name="vuln-scanner",
        agent_id="sec-01",
        category="core_security",
        domain="vuln",
        tasks=(Task("dependency_audit", 1400, 350, 2), Task("cve_triage", 700, 300), Task("container_scan", 1800, 420)),
        intents=("finding_summary", "remediation_note"),
        models=(("gpt-4o-mini", 0.7), ("gpt-4o", 0.3)),
        versions=3,
        runs=1.1,
        chats=0.5,
        roles="filler regression",
    ),
    _agent(
        name="threat-intel-analyst",
        agent_id="sec-02",
        category="core_security",
        domain="threat",
        tasks=(
            Task("ioc_enrichment", 900, 250, 2),
            Task("threat_report", 1600, 700),
            Task("phishing_triage", 800, 200, 2),
        ),
        intents=("threat_brief", "incident_summary", "phishing_verdict"),
        models=(("claude-3-5-sonnet", 0.6), ("gpt-4o", 0.4)),
        versions=2,
        runs=0.7,
        chats=0.5,
        roles="filler regression",
    ),
    _agent(
        name="access-reviewer",
        agent_id="sec-03",
        category="core_security",
        domain="access",
        tasks=(Task("permission_review", 1100, 300), Task("access_request", 600, 150, 2)),
        intents=("review_note", "access_decision"),
        models=(("gpt-4o-mini", 1.0),),
        versions=2,
        runs=0.6,
        chats=0.3,
        roles="regression",
    ),
    _agent(
        name="data-analyst",
        agent_id="ai-01",
        category="ai_intelligence",
        domain="analytics",
        tasks=(
            Task("sql_generation", 1200, 250, 2),
            Task("metric_explanation", 900, 350),
            Task("report_summary", 2000, 400),
        ),
        intents=("query_explanation", "insight_summary", "report_digest"),
        models=(("gpt-4o", 0.5), ("claude-3-5-sonnet", 0.3), ("gpt-4o-mini", 0.2)),
        versions=3,
        runs=1.0,
        chats=0.6,
        roles="filler regression",
    ),
    _agent(
        name="research-assistant",
        agent_id="ai-02",
        category="ai_intelligence",
        domain="research",
        tasks=(
            Task("literature_summary", 2500, 600),
            Task("fact_check", 800, 250, 2),
            Task("competitor_brief", 1500, 500),
        ),
        intents=("research_brief", "fact_check_note"),
        models=(("claude-3-5-sonnet", 0.7), ("gpt-4o", 0.3)),
        versions=2,
        runs=0.6,
        chats=0.6,
        roles="filler regression",
    ),
    _agent(
        name="meeting-summarizer",
        agent_id="ai-03",
        category="ai_intelligence",
        domain="meetings",
        tasks=(Task("meeting_notes", 3000, 400, 2), Task("action_items", 2500, 200)),
        intents=("meeting_recap", "action_list"),
        models=(("gpt-4o-mini", 0.6), ("llama-3.1-8b", 0.4)),
        versions=2,
        runs=0.9,
        chats=0.3,
        roles="filler regression",
    ),
    _agent(
        name="product-copywriter",
        agent_id="ecom-01",
        category="ecommerce",
        domain="product_copy",
        tasks=(
            Task("product_description", 400, 250, 3),
            Task("title_rewrite", 200, 40),
            Task("bullet_points", 350, 150),
        ),
        intents=("product_description", "product_title", "feature_bullets"),
        models=(("gpt-4o-mini", 0.6), ("claude-3-5-haiku", 0.4)),
        versions=3,
        runs=1.3,
        chats=0.4,
        roles="tone regression",
    ),
    _agent(
        name="order-assistant",
        agent_id="ecom-02",
        category="ecommerce",
        domain="orders",
        tasks=(
            Task("order_status", 600, 120, 3),
            Task("refund_request", 700, 160),
            Task("shipping_question", 500, 140, 2),
            Task("address_change", 550, 110),
        ),
        intents=("customer_reply", "refund_message", "delivery_update"),
        models=(("gpt-4o-mini", 0.8), ("llama-3.1-8b", 0.2)),
        versions=3,
        runs=2.0,
        chats=3.0,
        roles="regression",
    ),
    _agent(
        name="catalog-enricher",
        agent_id="ecom-03",
        category="ecommerce",
        domain="catalog",
        tasks=(
            Task("attribute_extraction", 500, 180, 2),
            Task("category_mapping", 300, 60),
            Task("title_cleanup", 250, 50),
        ),
        intents=("attribute_summary", "category_note"),
        models=(("llama-3.1-8b", 0.5), ("gpt-4o-mini", 0.5)),
        versions=2,
        runs=1.5,
        chats=0.2,
        roles="regression",
    ),
    _agent(
        name="seo-optimizer",
        agent_id="mkt-01",
        category="marketing_brand",
        domain="seo",
        tasks=(Task("meta_description", 500, 80, 2), Task("keyword_plan", 700, 400), Task("content_audit", 2200, 500)),
        intents=("meta_description", "keyword_brief", "audit_summary"),
        models=(("gpt-4o", 0.5), ("gpt-4o-mini", 0.5)),
        versions=3,
        runs=0.9,
        chats=0.5,
        roles="filler regression",
    ),
    _agent(
        name="social-post-writer",
        agent_id="mkt-02",
        category="marketing_brand",
        domain="social",
        tasks=(Task("social_post", 300, 120, 3), Task("campaign_caption", 350, 90), Task("comment_reply", 250, 80)),
        intents=("social_post", "caption", "comment_reply"),
        models=(("gpt-4o-mini", 0.7), ("claude-3-5-haiku", 0.3)),
        versions=2,
        runs=1.0,
        chats=0.4,
        roles="tone regression",
    ),
    _agent(
        name="email-campaign-writer",
        agent_id="mkt-03",
        category="marketing_brand",
        domain="email",
        tasks=(Task("promo_email", 600, 350, 2), Task("newsletter", 900, 500), Task("subject_lines", 250, 80)),
        intents=("promo_email", "newsletter_section", "subject_line"),
        models=(("claude-3-5-sonnet", 0.5), ("gpt-4o", 0.5)),
        versions=3,
        runs=0.7,
        chats=0.3,
        roles="tone regression",
    ),
    _agent(
        name="wp-plugin-auditor",
        agent_id="wp-01",
        category="wordpress_cms",
        domain="wp_audit",
        tasks=(
            Task("plugin_audit", 1500, 400),
            Task("update_check", 600, 150, 2),
            Task("compatibility_check", 700, 200),
        ),
        intents=("audit_summary", "update_note"),
        models=(("gpt-4o-mini", 0.7), ("gpt-4o", 0.3)),
        versions=2,
        runs=0.8,
        chats=0.4,
        roles="filler regression",
    ),
    _agent(
        name="blog-post-writer",
        agent_id="wp-02",
        category="wordpress_cms",
        domain="blog",
        tasks=(Task("blog_post", 800, 1100, 2), Task("outline", 400, 300), Task("intro_paragraph", 300, 180)),
        intents=("blog_draft", "blog_intro", "outline"),
        models=(("claude-3-5-sonnet", 0.5), ("gpt-4o", 0.3), ("gpt-4o-mini", 0.2)),
        versions=3,
        runs=0.6,
        chats=0.3,
        roles="tone regression",
    ),
    _agent(
        name="wp-site-doctor",
        agent_id="wp-03",
        category="wordpress_cms",
        domain="site_doctor",
        tasks=(
            Task("performance_fix", 1300, 350),
            Task("broken_link_report", 1800, 300),
            Task("backup_check", 400, 100),
        ),
        intents=("fix_plan", "site_report"),
        models=(("gpt-4o-mini", 1.0),),
        versions=2,
        runs=0.7,
        chats=0.3,
        roles="regression",
    ),
    _agent(
        name="support-responder",
        agent_id="cs-01",
        category="customer_service",
        domain="support",
        tasks=(Task("ticket_reply", 900, 220, 3), Task("faq_answer", 500, 180, 2), Task("escalation_note", 700, 150)),
        intents=("ticket_reply", "faq_answer", "escalation_note"),
        models=(("gpt-4o-mini", 0.6), ("claude-3-5-haiku", 0.4)),
        versions=3,
        runs=1.8,
        chats=3.0,
        roles="filler regression",
    ),
    _agent(
        name="returns-assistant",
        agent_id="cs-02",
        category="customer_service",
        domain="returns",
        tasks=(
            Task("return_request", 600, 150, 2),
            Task("exchange_request", 550, 140),
            Task("warranty_claim", 700, 180),
        ),
        intents=("return_reply", "warranty_reply"),
        models=(("gpt-4o-mini", 0.7), ("llama-3.1-70b", 0.3)),
        versions=2,
        runs=1.2,
        chats=2.0,
        roles="regression",
    ),
    _agent(
        name="sentiment-triager",
        agent_id="cs-03",
        category="customer_service",
        domain="triage",
        tasks=(Task("ticket_triage", 500, 60, 2), Task("sentiment_tagging", 400, 40)),
        intents=("triage_note", "routing_note"),
        models=(("llama-3.1-8b", 0.8), ("gpt-4o-mini", 0.2)),
        versions=2,
        runs=1.6,
        chats=0.2,
        roles="regression",
    ),
    _agent(
        name="legal-drafter",
        agent_id="spc-01",
        category="specialized",
        domain="legal",
        tasks=(
            Task("contract_clause", 1200, 450, 2),
            Task("policy_summary", 2500, 500),
            Task("terms_update", 1500, 400),
        ),
        intents=("contract_clause", "policy_summary", "terms_update"),
        models=(("claude-3-5-sonnet", 0.6), ("gpt-4o", 0.4)),
        versions=2,
        runs=0.5,
        chats=0.4,
        roles="omission regression",
    ),
    _agent(
        name="health-content-writer",
        agent_id="spc-02",
        category="specialized",
        domain="health",
        tasks=(Task("health_article", 600, 900, 2), Task("symptom_faq", 400, 300), Task("wellness_tip", 250, 120)),
        intents=("health_article", "faq_answer"),
        models=(("gpt-4o", 0.6), ("claude-3-5-sonnet", 0.4)),
        versions=3,
        runs=0.6,
        chats=0.4,
        roles="omission regression",
    ),
)

OMISSION_PHRASES: dict[str, str] = {
    "legal": "This content is for informational purposes only and does not constitute legal advice.",
    "health": "This content is for informational purposes only and does not constitute medical advice.",
}
"""The sentence people keep adding to an agent's output, by domain."""
