"""The published-style variants the differential test runs (each one or two directories).

| variant      | keys (merge_by_keys order = key type)                    | validation                              | canonical ids | master attributes                          | id hash   |
|--------------|----------------------------------------------------------|-----------------------------------------|---------------|--------------------------------------------|-----------|
| two_keys     | email, customer_id                                       | regexp + invalid_texts, texts only      | 1             | single (last), array (5, last)             | published |
| three_keys   | email, customer_id, phone_number                         | the example's rules                     | 1             | priorities 1-2 (last/first), arrays 3 and 5 | published |
| four_keys    | td_client_id, email, phone_number, loyalty_id            | escaped regexp, NULL in invalid_texts   | 1             | three priorities, decimal, array (first)   | edited    |
| two_ids      | person_id: customer_id, email / household_id: household, | per id; a key outside merge_by_keys     | 2 directories | one master per canonical id                | both      |
|              | phone_number                                             |                                         | in one schema |                                            |           |
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.fidelity.directories.spec import (
    Attribute,
    AttributeSource,
    Column,
    DirectorySpec,
    Key,
    MasterTable,
    SourceTable,
)

EMAIL = Key("email", valid_regexp=".*@.*", invalid_texts=("", "N/A", "null"))
CUSTOMER_ID = Key("customer_id", invalid_texts=("", "N/A", "null", "0"))
PHONE = Key("phone_number", valid_regexp="^[0-9]{10,}$", invalid_texts=("",))
# a backslash in the regexp: the SQL literal holds '\\d', Spark's parser makes it \d
PHONE_ESCAPED = Key("phone_number", valid_regexp=r"^\+?\d{10,15}$", invalid_texts=("", "0000000000"))
TD_CLIENT = Key("td_client_id", valid_regexp="^[0-9a-f]{8}-[0-9a-f]{4}-", invalid_texts=("", "null", None))
LOYALTY = Key("loyalty_id", valid_regexp="^LY", invalid_texts=("LY", None))
HOUSEHOLD = Key("household", valid_regexp="[0-9]+ [A-Z]", invalid_texts=("", "unknown"))


@dataclass(frozen=True)
class Variant:
    name: str
    directories: tuple[DirectorySpec, ...]
    people: int = 80
    chains: int = 2
    chain_length: int = 30


def _src(name: str) -> str:
    return f"src_{name}"


def two_keys() -> Variant:
    profiles = SourceTable(
        "profiles",
        (Column("email", key="email"), Column("cust_id", key="customer_id"), Column("first_name")),
    )
    visits = SourceTable("visits", (Column("visitor_email", key="email"), Column("page")))
    spec = DirectorySpec(
        canonical_id="unified_id",
        catalog="pub_cat",
        schema="pub_two",
        source_schema=_src("two"),
        keys=(EMAIL, CUSTOMER_ID),
        tables=(profiles, visits),
        merge_by_keys=("email", "customer_id"),
        merge_iterations=3,
        master_tables=(
            MasterTable(
                "profile_master",
                (
                    Attribute("first_name", (AttributeSource("profiles", "first_name", 1),)),
                    Attribute("emails", (AttributeSource("visits", "visitor_email", 1),), array_elements=5),
                ),
            ),
        ),
    )
    return Variant("two_keys", (spec,), chain_length=12)


def three_keys() -> Variant:
    tables = (
        SourceTable(
            "customer_profiles",
            (
                Column("email_std", key="email"),
                Column("customer_id", key="customer_id"),
                Column("phone_number", key="phone_number"),
                Column("first_name"),
            ),
        ),
        SourceTable("web_sessions", (Column("user_email", key="email"), Column("session_id"))),
        SourceTable(
            "orders",
            (
                Column("customer_id", key="customer_id"),
                Column("phone", key="phone_number"),
                Column("amount", "DECIMAL(10,2)"),
            ),
        ),
        SourceTable(
            "support_tickets",
            (
                Column("contact_email", key="email"),
                Column("contact_phone", key="phone_number"),
                Column("subject"),
            ),
        ),
    )
    master = MasterTable(
        "customer_master",
        (
            Attribute(
                "primary_email",
                (
                    AttributeSource("customer_profiles", "email_std", 1),
                    AttributeSource("support_tickets", "contact_email", 2),
                ),
            ),
            Attribute(
                "primary_phone",
                (
                    AttributeSource("orders", "phone", 2, order="first"),
                    AttributeSource("customer_profiles", "phone_number", 1),
                ),
            ),
            Attribute("last_order_amount", (AttributeSource("orders", "amount", 1),)),
            Attribute(
                "all_emails",
                (
                    AttributeSource("customer_profiles", "email_std", 1),
                    AttributeSource("web_sessions", "user_email", 2),
                ),
                array_elements=5,
            ),
            Attribute(
                "all_phones", (AttributeSource("orders", "phone", 1, order="first"),), array_elements=3
            ),
        ),
    )
    spec = DirectorySpec(
        canonical_id="unified_customer_id",
        catalog="pub_cat",
        schema="pub_three",
        source_schema=_src("three"),
        keys=(EMAIL, CUSTOMER_ID, PHONE),
        tables=tables,
        merge_by_keys=("email", "customer_id", "phone_number"),
        merge_iterations=4,
        master_tables=(master,),
    )
    return Variant("three_keys", (spec,), chain_length=36)


def four_keys() -> Variant:
    tables = (
        SourceTable(
            "app_events",
            (Column("td_client_id", key="td_client_id"), Column("login_email", key="email"), Column("event")),
        ),
        SourceTable(
            "crm_contacts",
            (
                Column("email", key="email"),
                Column("mobile", key="phone_number"),
                Column("loyalty_no", key="loyalty_id"),
                Column("tier"),
                Column("visits", "BIGINT"),
            ),
        ),
        SourceTable(
            "pos_sales",
            (Column("loyalty_no", key="loyalty_id"), Column("total", "DECIMAL(10,2)")),
        ),
    )
    master = MasterTable(
        "member_master",
        (
            Attribute(
                "best_email",
                (
                    AttributeSource("crm_contacts", "email", 1),
                    AttributeSource("app_events", "login_email", 2),
                    AttributeSource("crm_contacts", "email", 3, order="first"),
                ),
            ),
            Attribute("tier", (AttributeSource("crm_contacts", "tier", 1, order_by="visits"),)),
            Attribute("last_total", (AttributeSource("pos_sales", "total", 1),)),
            Attribute(
                "first_clients",
                (AttributeSource("app_events", "td_client_id", 1, order="first"),),
                array_elements=2,
            ),
        ),
    )
    spec = DirectorySpec(
        canonical_id="member_id",
        catalog="pub_cat",
        schema="pub_four",
        source_schema=_src("four"),
        keys=(EMAIL, PHONE_ESCAPED, TD_CLIENT, LOYALTY),
        tables=tables,
        merge_by_keys=("td_client_id", "email", "phone_number", "loyalty_id"),
        merge_iterations=2,
        master_tables=(master,),
        hash_style="edited",
    )
    return Variant("four_keys", (spec,), chain_length=16)


def two_ids() -> Variant:
    tables = (
        SourceTable(
            "accounts",
            (
                Column("customer_id", key="customer_id"),
                Column("email", key="email"),
                Column("phone", key="phone_number"),
                Column("address", key="household"),
                Column("name"),
            ),
        ),
        SourceTable("deliveries", (Column("address", key="household"), Column("phone", key="phone_number"))),
    )
    common = {"catalog": "pub_cat", "schema": "pub_pair", "source_schema": _src("pair"), "tables": tables}
    person = DirectorySpec(
        canonical_id="person_id",
        keys=(CUSTOMER_ID, EMAIL, PHONE),  # phone_number is a key, but not merged for person_id
        merge_by_keys=("customer_id", "email"),
        merge_iterations=3,
        master_tables=(
            MasterTable("person_master", (Attribute("name", (AttributeSource("accounts", "name", 1),)),)),
        ),
        **common,  # type: ignore[arg-type]
    )
    household = DirectorySpec(
        canonical_id="household_id",
        keys=(HOUSEHOLD, PHONE),
        merge_by_keys=("household", "phone_number"),
        merge_iterations=2,
        master_tables=(
            MasterTable(
                "household_master",
                (
                    Attribute(
                        "phones",
                        (AttributeSource("deliveries", "phone", 1), AttributeSource("accounts", "phone", 2)),
                        array_elements=4,
                    ),
                ),
            ),
        ),
        out_prefix="hh_",
        hash_style="edited",
        **common,  # type: ignore[arg-type]
    )
    return Variant("two_ids", (person, household), chain_length=10)


VARIANTS: tuple[Variant, ...] = (two_keys(), three_keys(), four_keys(), two_ids())
