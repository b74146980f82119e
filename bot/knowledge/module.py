"""The knowledge base declares itself: it answers free text outside any dialog."""

from bot.core.feature import FeatureModule

module = FeatureModule(
    name="knowledge",
    build="bot.knowledge.feature:KnowledgeFeature",
    answers_free_text=True,
    models=("bot.knowledge.models",),
    checks={
        "knowledge": "bot.knowledge.loader:check_knowledge",
        "knowledge_en": "bot.knowledge.en_loader:check_english_knowledge",
        "personal_cases": "bot.knowledge.personal:check_personal_cases",
        "assistant_questions": "bot.knowledge.assistant_questions:check_assistant_questions",
    },
    cli=("bot.knowledge.cli:register",),
    jobs=("bot.knowledge.reload:reload_job",),
)
