"""Use cases: functions ``verb_noun(session, ...)`` that flush but never commit."""
