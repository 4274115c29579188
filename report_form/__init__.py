"""The harassment report's questions as data: ``questions.toml``, read by ``catalogue``.

One entry per question drives the portal's form, the validation of a ``report`` payload,
the reporter's own copy, the inbox's display and the case file PDF. Standard library
only, so the crypto core may validate against it without importing the apps.
"""
