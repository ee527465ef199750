"""Privacy rules beyond secrecy: per-organisation policy (private names, sensitive
matters) and the registrar's review report. The rules are APPLIED only in
diarium.public, the public projection; this package holds their settings and reports."""
