"""The titles of ISO/IEC 20000-1:2018's clauses, for the dashboard's rows of clauses answered
worst: "8.2.5 Asset management", in Chinese with the title the catalogue gives (its
translations follow the terms the course uses).  A clause without a title here (another
standard, a clause no question names) shows as its number alone."""

from __future__ import annotations

from ..texts import N_, t

#: clause number -> its title in the standard (English, translated through the catalogue).
TITLES = {
    "1": N_("Scope"),
    "2": N_("Normative references"),
    "3": N_("Terms and definitions"),
    "4": N_("Context of the organization"),
    "4.1": N_("Understanding the organization and its context"),
    "4.2": N_("Understanding the needs and expectations of interested parties"),
    "4.3": N_("Determining the scope of the service management system"),
    "4.4": N_("Service management system"),
    "5": N_("Leadership"),
    "5.1": N_("Leadership and commitment"),
    "5.2": N_("Policy"),
    "5.3": N_("Organizational roles, responsibilities and authorities"),
    "6": N_("Planning"),
    "6.1": N_("Actions to address risks and opportunities"),
    "6.2": N_("Service management objectives and planning to achieve them"),
    "6.3": N_("Plan the service management system"),
    "7": N_("Support of the service management system"),
    "7.1": N_("Resources"),
    "7.2": N_("Competence"),
    "7.3": N_("Awareness"),
    "7.4": N_("Communication"),
    "7.5": N_("Documented information"),
    "7.5.1": N_("Documented information: general"),
    "7.5.2": N_("Creating and updating documented information"),
    "7.5.3": N_("Control of documented information"),
    "7.5.4": N_("Service management system documented information"),
    "7.6": N_("Knowledge"),
    "8": N_("Operation of the service management system"),
    "8.1": N_("Operational planning and control"),
    "8.2": N_("Service portfolio"),
    "8.2.1": N_("Service delivery"),
    "8.2.2": N_("Plan the services"),
    "8.2.3": N_("Control of parties involved in the service lifecycle"),
    "8.2.4": N_("Service catalogue management"),
    "8.2.5": N_("Asset management"),
    "8.2.6": N_("Configuration management"),
    "8.3": N_("Relationship and agreement"),
    "8.3.2": N_("Business relationship management"),
    "8.3.3": N_("Service level management"),
    "8.3.4": N_("Supplier management"),
    "8.4": N_("Supply and demand"),
    "8.4.1": N_("Budgeting and accounting for services"),
    "8.4.2": N_("Demand management"),
    "8.4.3": N_("Capacity management"),
    "8.5": N_("Service design, build and transition"),
    "8.5.1": N_("Change management"),
    "8.5.2": N_("Service design and transition"),
    "8.5.3": N_("Release and deployment management"),
    "8.6": N_("Resolution and fulfilment"),
    "8.6.1": N_("Incident management"),
    "8.6.2": N_("Service request management"),
    "8.6.3": N_("Problem management"),
    "8.7": N_("Service assurance"),
    "8.7.1": N_("Service availability management"),
    "8.7.2": N_("Service continuity management"),
    "8.7.3": N_("Information security management"),
    "9": N_("Performance evaluation"),
    "9.1": N_("Monitoring, measurement, analysis and evaluation"),
    "9.2": N_("Internal audit"),
    "9.3": N_("Management review"),
    "9.4": N_("Service reporting"),
    "10": N_("Improvement"),
    "10.1": N_("Nonconformity and corrective action"),
    "10.2": N_("Continual improvement"),
}

#: Where a clause's answers came from (the clause table's "from" column).
SOURCES = {"quiz": N_("quiz"), "exam": N_("exam")}


def clause_title(clause: str, language: str) -> str:
    """``clause`` with its title in ``language`` ("8.2.5 Asset management"), or alone."""
    title = TITLES.get(clause)
    return f"{clause} {t(title, language)}" if title else clause


def source_label(source: str, language: str) -> str:
    """Where answers came from ("quiz", "exam") in ``language``."""
    return t(SOURCES[source], language) if source in SOURCES else source
