"""The research capability's audit action names. Those in DATA_CHANGES change what its
pages show."""

STUDY_SAVE = "research.study.save"
MEMBER_SAVE = "research.member.save"
MEMBER_REMOVE = "research.member.remove"
CASE_SAVE = "research.case.save"
CONSENT_RECORD = "research.consent.record"
SOURCE_IMPORT = "research.source.import"
SOURCE_REMOVE = "research.source.remove"
SURVEY_IMPORT = "research.survey.import"
CODE_SAVE = "research.code.save"
CODE_MERGE = "research.code.merge"
CODE_SPLIT = "research.code.split"
CODE_RETIRE = "research.code.retire"
CODEBOOK_IMPORT = "research.codebook.import"
CODEBOOK_VERSION = "research.codebook.version"
CODING_ADD = "research.coding.add"
CODING_REMOVE = "research.coding.remove"
CONSENSUS_RESOLVE = "research.consensus.resolve"
MEMO_SAVE = "research.memo.save"
MEMO_REMOVE = "research.memo.remove"
SUGGEST = "research.suggestion.request"
SUGGESTION_DECIDE = "research.suggestion.decide"
QUOTE_DECIDE = "research.quote.decide"
CASE_STUDY_SAVE = "research.case_study.save"
PROJECT_IMPORT = "research.project.import"
EXPORT = "research.export"  # a download of study data (quotes, codings, a .qdpx)

DATA_CHANGES = (
    STUDY_SAVE,
    MEMBER_SAVE,
    MEMBER_REMOVE,
    CASE_SAVE,
    CONSENT_RECORD,
    SOURCE_IMPORT,
    SOURCE_REMOVE,
    SURVEY_IMPORT,
    CODE_SAVE,
    CODE_MERGE,
    CODE_SPLIT,
    CODE_RETIRE,
    CODEBOOK_IMPORT,
    CODING_ADD,
    CODING_REMOVE,
    CONSENSUS_RESOLVE,
    MEMO_SAVE,
    MEMO_REMOVE,
    SUGGESTION_DECIDE,
    QUOTE_DECIDE,
    CASE_STUDY_SAVE,
    PROJECT_IMPORT,
)
