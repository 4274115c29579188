"""varsel-inbox: the party office's offline tool on the air-gapped laptop.

It imports signed inbound bundles from the portal, decrypts reports with the office key,
keeps them in an encrypted store, and writes signed outbound bundles carrying
acknowledgements, replies sealed to the reporter, and status changes. Reports become
cases that follow the guidelines against harassment (§8-§14).

Modules, one per thing in the domain:

- ``errors``      -- the errors the tool shows to a person (one line each)
- ``home``        -- the home directory: identity, store key, pinned portal key
- ``store``       -- the SQLite store; everything with report content is wrapped
- ``importer``    -- inbound bundles: verify, decrypt, check, commit atomically
- ``outbox``      -- acknowledgements, replies and statuses; outbound bundles
- ``threads``     -- what a thread looks like when read back from the store
- ``deadlines``   -- 7 days, 3 months, and days elapsed
- ``case``        -- handling states and the case log (§8-§14)
- ``render``      -- Norwegian labels and terminal rendering
- ``attachments`` -- writing decrypted files safely, stripping metadata
- ``casefile``    -- the case file as PDF
- ``editor``      -- writing text in $EDITOR without leaving it behind
- ``cli``         -- the ``varsel-inbox`` command
"""
