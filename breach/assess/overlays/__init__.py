"""National law overlays (GDPR Art. 87): national identification numbers, per country.

The rules are data (``breach/data/national_overlays.json``): each country names its law and
section, the authority practice that applies it to breaches, and what it changes in the
assessment. ``national_law(facts)`` applies the rules of the controller's country and of the
affected people's countries, and says why they did or did not change anything.
"""

from breach.assess.overlays.national_id import CountryRules, NationalLaw, country_rules, national_law

__all__ = ["CountryRules", "NationalLaw", "country_rules", "national_law"]
