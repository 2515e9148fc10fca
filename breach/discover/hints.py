"""Column-name hints in Danish, Norwegian, Swedish, Finnish, Dutch and English.

A column name is normalised to `_token_token_` (lower case, camelCase split, any separator as
`_`), so a rule can ask for a whole token (`_tel_` does not match `hotel`) or a word stem
(`navn` matches `kundenavn` and `fornavn`). Rules are tried in order; the first match wins, so
the specific ones (`brugernavn` is a user name, not a name) come before the general ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Hint:
    """What a column name suggests: a data category and, if any, the detector to prefer."""

    category: str
    detector: str | None  # None: decide by the values; "hint": the name alone assigns the column


# (pattern searched in the normalised name, category, preferred detector)
RULES: tuple[tuple[str, str, str | None], ...] = (
    (r"password|passwd|_pwd_|_pass_|adgangskode|kodeord|passord|l[oö]senord|wachtwoord|salasana|secret|api_?key|_token_",
     "credentials", "hint"),
    (r"ip_?addr|_ip_|remote_?addr|client_?ip|_ipv[46]_", "ip_address", None),
    (r"user_?name|login_?name|_login_id_|brugernavn|brukernavn|anv[aä]ndarnamn|gebruikersnaam|k[aä]ytt[aä]j[aä]tunnus|screen_?name|nickname",
     "online_identifier", "hint"),
    (r"e_?mail|epost|e_?post|mailadres|s[aä]hk[oö]posti", "email", "email"),
    (r"_cpr", "national_id", "dk_cpr"),
    (r"f[oø]dselsnummer|_fnr_|_d_?nummer_", "national_id", "no_fnr"),
    (r"personnummer|personnr|_pnr_|samordningsnummer", "national_id", "se_pnr"),
    (r"_hetu_|henkil[oö]tunnus|_sotu_", "national_id", "fi_hetu"),
    (r"_bsn_|burgerservicenummer|sofinummer", "national_id", "nl_bsn"),
    (r"_ssn_|national_?id|personal_?id_?(?:no|number)|_id_?number_", "national_id", None),
    (r"iban|kontonummer|kontonr|konto_?nr|account_?(?:no|number)|bank_?account|rekening|tilinumero|_reg_?nr_",
     "bank_account", "iban"),
    (r"credit_?card|card_?(?:no|number|num)|_card_|_pan_|kortnummer|kort_?nr|kreditkort|betalkort|creditcard|maksukortti",
     "payment_card", "payment_card"),
    (r"phone|telefon|_tlf|_tel_|mobil|_gsm_|puhelin|telefoon|_msisdn_|_cell_", "phone", "phone_national"),
    (r"birth|_dob_|f[oø]dsels_?dato|f[oö]delse|geboorte|syntym[aä]|_f[oø]dt_|_born_|birthday", "date_of_birth", "date_of_birth"),
    (r"diagnos|helbred|_helse|h[aä]lsa|gezondheid|health|medic|sygdom|sykdom|sjukdom|ziekte|allergi|allergy|_icd|terveys|"
     r"_journal|patient_?note|behandling|treatment", "health", "hint"),
    (r"passport|pas_?nummer|passnummer|paspoort|driver_?licen|k[oø]rekort|f[oø]rerkort|k[oö]rkort|rijbewijs",
     "identity_document", "hint"),
    (r"adresse|address|_adres|_gade_|street|straat|_gata|_gatan_|_vej_|_vei_|_veg_|postnummer|post_?code|_zip|_postnr_|postal|"
     r"osoite|postinumero", "postal_address", "hint"),
    (r"_city_|^_by_$|^_ort_$|_stad_|_plaats_|woonplaats|poststed|postort|postitoimipaikka", "postal_address", "hint"),
    (r"navn|_name_|_naam_|_namn_|_nimi_|surname|efternamn|f[oö]rnamn|achternaam|voornaam|firstname|lastname|fullname|etunimi|sukunimi",
     "name", "hint"),
    (r"gender|_sex_|_k[oø]n_|kj[oø]nn|_k[oö]n_|geslacht|sukupuoli", "sex_gender", "hint"),
    (r"salary|_l[oø]n_|_l[oø]nn_|_l[oö]n_|salaris|income|indkomst|inntekt|inkomst|inkomen|palkka", "financial", "hint"),
    (r"religion|religie|uskonto|trossamfund", "religious_beliefs", "hint"),
    (r"fagforening|trade_?union|fackf[oö]rbund|vakbond|ammattiliitto", "trade_union", "hint"),
    (r"latitude|longitude|_lat_|_lon_|_lng_|_gps|geo_?loc", "location", "hint"),
)
_COMPILED = tuple((re.compile(p), Hint(c, d)) for p, c, d in RULES)

# Names that say "this is not about a person": order, invoice and version numbers, product codes.
NEGATIVE = re.compile(
    r"order|ordre|bestilling|bestelling|best[aä]llning|invoice|faktura|factuur|_lasku|version|versjon|versie|_build|release|"
    r"_sku_|_ean_|_gtin_|_isbn_|product|produkt|artikel|artikkel|_item|tracking|sporing|ticket|transaction|_txn|reference|_ref_|"
    r"serial|_serie|_uuid_|_hash_|checksum|_amount|_price|_total")
# A `name` that is not a person's: product_name, company_name, file_name, host_name ...
NOT_A_PERSON = re.compile(
    r"product|produkt|company|firma|bedrift|f[oö]retag|bedrijf|_file|_host|domain|_vare|brand|_item|_table|_column|server|_app_|"
    r"device|merke|m[aä]rke|_shop|_store_|butik|categor|kategori|_tag_|_event|_job_|_type_|_role_|_group|_team")


def normalise(column: str) -> str:
    """`KundeNavn` -> `_kunde_navn_`; `e-mail address` -> `_e_mail_address_`."""
    split = re.sub(r"(?<=[a-zæøåäö])(?=[A-ZÆØÅÄÖ])", "_", column.rsplit(".", 1)[-1])
    return "_" + "_".join(t for t in re.split(r"[^0-9a-zæøåäöüéè]+", split.lower()) if t) + "_"


def hint_for(column: str) -> Hint | None:
    """The category a column name suggests, or None."""
    name = normalise(column)
    for pattern, hint in _COMPILED:
        if pattern.search(name):
            if hint.category == "name" and NOT_A_PERSON.search(name):
                return None
            return hint
    return None


def is_negative(column: str) -> bool:
    """The name says the column is about orders, invoices, versions or products, not people."""
    return NEGATIVE.search(normalise(column)) is not None
