"""What people and authorities read (the README's draft step): templates rendered from params, and the drafts stored for approval.

``render`` (one sandboxed Jinja environment, templates found by name in ``notices/templates``),
``drafting`` (the drafts an assessment calls for, with template version and content hash),
``public_notice`` (the approved Art. 34(3)(c) public notice as static HTML).
"""
