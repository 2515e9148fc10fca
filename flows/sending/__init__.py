"""How ``send-notices`` keeps many e-mail requests under way: ``lanes`` (at most N batch attempts at once,
retries first) and ``processes`` (forked sending processes, one per lane, for big sends).
"""
