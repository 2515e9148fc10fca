"""The authority filing pack (the README's export step): the Art. 33(3) answers in the order of the authority's form.

``notification`` (the params read from the newest facts and assessment), ``pack`` (the Danish layout,
Markdown and PDF), ``forms`` (Norway's Altinn form, the EDPB template), ``timeline`` (the 72-hour picture),
``followup`` (Art. 33(4) supplementary reports), ``export`` (the files written and remembered).
"""
