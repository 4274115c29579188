"""Varsel's cryptographic formats: pure functions over libsodium (PyNaCl) with no I/O.

Modules, one per thing in the protocol (docs/PROTOCOL.md is the byte-level spec):

- ``errors``   -- the exceptions every parser raises, one per kind of failure
- ``padding``  -- size buckets that hide exact lengths
- ``keys``     -- office/recipient identities, public key files, fingerprints, locked secrets
- ``envelope`` -- one payload encrypted to one or more recipients (age-shaped)
- ``stream``   -- attachments of any size, chunked with secretstream
- ``receipt``  -- the reporter's passphrase and the keys derived from it
- ``wrap``     -- a secret wrapped under a symmetric key (sessions, the inbox store)
- ``payload``  -- what is inside an envelope: report, message, reply
- ``bundle``   -- signed transfer containers between portal and inbox
- ``casefile`` -- the sealed case file's header and manifest (a case for one handler)
"""
