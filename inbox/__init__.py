"""varsel-inbox: the party office's offline tool on the air-gapped laptop.

It imports signed inbound bundles from the portal, decrypts reports with the office key,
keeps them in an encrypted store, and writes signed outbound bundles carrying
acknowledgements, replies sealed to the reporter, and status changes. Reports become
cases that follow the guidelines against harassment (§8-§14).

Modules, one per thing in the domain (tests/test_structure.py keeps this list true):

- ``errors``          -- the errors the tool shows to a person (one line each)
- ``files``           -- new files for the office (never overwrite, mode set exactly); shred
- ``clock``           -- the one place the inbox reads today's date
- ``home``            -- the home directory: identity, store key, pinned portal key
- ``init``            -- ``varsel-inbox init``: a new home
- ``store``           -- the SQLite store; everything with report content is wrapped
- ``importer``        -- inbound bundles: verify, decrypt, check, commit atomically
- ``outbox``          -- acknowledgements, replies and statuses; outbound bundles
- ``threads``         -- what a thread looks like when read back from the store
- ``deadlines``       -- 7 days, 3 months, and days elapsed
- ``statuses``        -- the statuses the reporter sees, in words (the portal uses them too)
- ``intake``          -- reports that did not come through the portal (§5, §7, §9.5)
- ``receipts``        -- receipt words for reports received outside the portal (§9.4)
- ``case``            -- handling states and the case log (§8-§14)
- ``innsyn``          -- kontradiksjon and the innsyn extract (§6c, §9.2, §10.2)
- ``decision``        -- the decision, suspensions and reactions (§10.3-§14)
- ``handover``        -- forwarding a case to a handler and closing it out (§6a, §6b)
- ``sealed_casefile`` -- sealed case files on disk: written for a handler, opened by one
- ``casefile``        -- the case file as PDF
- ``stats``           -- anonymous statistics, counts only (§1)
- ``rotation``        -- replacing the office key, signed by the old one
- ``backup``          -- backups that restore (the inbox home and the portal's data)
- ``untrusted``       -- text from the other side, made safe to show
- ``render``          -- Norwegian labels and terminal rendering
- ``attachments``     -- writing decrypted files safely, stripping metadata
- ``editor``          -- writing text in $EDITOR without leaving it behind
- ``click_language``  -- click's own words in the inbox's language
- ``cli_base``        -- what every command shares: failures, unlocking, console
- ``cli``             -- the ``varsel-inbox`` command
- ``case_commands``   -- ``varsel-inbox case ...``, ``intake`` and ``stats``
- ``desk``            -- ``varsel-inbox desk``: the same functions in a local browser window
- ``web_headers``     -- the security headers of the desk and the portal, and SRI values
- ``launcher``        -- ``varsel-inbox install-launcher``: the desk from a double click
"""
