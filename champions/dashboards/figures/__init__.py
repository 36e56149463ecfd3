"""Every figure on the programme dashboard, each from one set-based query (or a few), as plain JSON.

growth: headline counts and the sign-up trajectory; onboarding: the funnel and monthly cohorts; reach: boroughs,
topics, activities, workshops and grants; network: who recruited whom; nudges: what each nudge rule achieved.
"""
