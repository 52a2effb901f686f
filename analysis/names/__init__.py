"""Name checks: how a project name is normalized, which popular name it imitates and by which
rule, and the findings that say so.

    forms       PEP 503 normalization and PyPI's stricter folding (re-exported here)
    typos       which one-character mistakes are typing slips or look-alikes
    edits       what one edit turns an intended name into a typed one
    index       the name index: every lookup a rule needs, built once from the popular list
    typosquat   the rules, listed once, and how strongly each hit points at imitation
    findings    matches turned into findings with a checkable explanation
"""

from analysis.names.forms import fast_normalize, fold_confusables, normalize, tokens, ultranormalize

__all__ = ["fast_normalize", "fold_confusables", "normalize", "tokens", "ultranormalize"]
