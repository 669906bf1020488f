"""Numbers and abbreviations written against the style of edited prose, in spun text
(`despin.detector.decide.number_style`, `abbreviation_style`)."""
from __future__ import annotations

import pytest

from despin import check
from despin.detector.decide import FORMAT_SPAN, abbreviation_style, number_style
from despin.tokenize import tokenize


def _style(text: str, word: str) -> str | None:
    toks = tokenize(text)
    k = next(i for i, t in enumerate(toks) if t.text == word)
    return number_style(text, toks, k)


@pytest.mark.parametrize("text, word, expected", [
    ("The firm said 3 of its plants would close.", "3", "three"),
    ("It said 4 investors had bid for the plant.", "4", "four"),
    ("Talks will go on for fifteen days, officials said.", "fifteen", "15"),
    ("The index rose for seventy sessions in all.", "seventy", "70"),
    ("It said. 2 buyers had already come forward.", "2", "Two"),
    ("Finance ministers of the Group of 7 met in Paris.", "7", "Seven"),
    # Figures edited prose writes as figures: beside units, in dates, labels and ranges.
    ("Output fell 5 pct in the quarter.", "5", None),
    ("It earned 7 mln dlrs last year.", "7", None),
    ("The plant will reopen on March 3 after repairs.", "3", None),
    ("The plant will reopen on apr 3 after repairs.", "3", None),
    ("Palo Verde Unit 2 is operating at full power.", "2", None),
    ("Prices rose 3 to 5 cents a pound.", "3", None),
    ("Trading starts at 9 a.m. local time.", "9", None),
    # Decimals, hyphenated and glued figures, lists and codes.
    ("Inflation rose 2.5 pct in March.", "2", None),
    ("The board approved a 2-for-1 stock split.", "2", None),
    ("Its goals are: 1) to cut the deficit.", "1", None),
    # "ten" and compound numbers written out, names and sentence starts.
    ("Exports rose ten pct in the year.", "ten", None),
    ("Exports must rise by fifteen or twenty pct.", "fifteen", None),
    ("Holders of the Chapter Eleven notes met.", "Eleven", None),
    ("Fifteen banks joined the loan.", "Fifteen", None),
    # Only ASCII figures are figures.
    ("It said ² of its plants would close.", "²", None),
    ("The firm said ٣ of its plants would close.", "٣", None),
])
def test_number_style(text: str, word: str, expected: str | None) -> None:
    assert _style(text, word) == expected


@pytest.mark.parametrize("text, word, capitals, expected", [
    ("Talks end on apr 7 in Geneva.", "apr", False, "April"),
    ("Talks ended on Apr 7 in Geneva.", "Apr", False, "April"),
    ("The dec figures were revised.", "dec", False, "December"),
    ("TALKS END ON apr 7", "apr", True, "APRIL"),
    # Abbreviations news writes itself ("Feb 14", "Sept 30").
    ("Sales rose in the Feb quarter.", "Feb", False, None),
    ("Shares of Acme Incorporated rose.", "Incorporated", False, "Inc"),
    ("The rules were incorporated into law.", "incorporated", False, None),
    ("Incorporated firms pay less tax.", "Incorporated", False, None),
    ("Talks resume on Fri in Geneva.", "Fri", False, "Friday"),
    ("It was the 4th rise this year.", "4th", False, "fourth"),
    ("4th time lucky, the bid went through.", "4th", False, "Fourth"),
    # Ordinals news writes in figures, and a table's periods.
    ("Net fell in the 4th qtr of 1986.", "4th", False, None),
    ("Its offices on 5th Avenue were sold.", "5th", False, None),
    ("REGAN MAKES 3RD TERM LIKELY", "3RD", True, None),
    ("Cargoes for Mar/Apr traded at 227 dlrs.", "Apr", False, None),
])
def test_abbreviation_style(text: str, word: str, capitals: bool, expected: str | None) -> None:
    toks = tokenize(text)
    k = next(i for i, t in enumerate(toks) if t.text == word)
    assert abbreviation_style(text, toks, k, capitals) == expected


SPUN = (
    "The town assembly gathered on Monday night to argue over the fresh budget for the "
    "forthcoming year. Officials aforementioned the metropolis would spend more cash on "
    "thoroughfares and academies, and that 3 of its 7 libraries would shut. The mayor told "
    "journalists that levies would not increase for fifteen months. Inhabitants who attended "
    "the gathering queried why 2 bus routes had been curtailed, and several shop proprietors "
    "complained about the expense of parking in the core. A unit of Harwell Coach Incorporated "
    "will run the buses from apr 1."
)


def test_spun_text_gets_its_numbers_back_in_the_style_of_edited_prose() -> None:
    r = check(SPUN)
    assert r.verdict == "spun"
    assert "three of its seven libraries" in r.restored
    assert "for 15 months" in r.restored and "why two bus routes" in r.restored
    assert "Harwell Coach Inc will" in r.restored and "from April 1." in r.restored
    by_text = {s.text: s for s in r.spans}
    assert by_text["3"].score == FORMAT_SPAN and by_text["3"].best == "three"
    assert by_text["3"].reason.startswith("format:")
    # "fifteen" is a unit of its own (thesauri list it); the form leads, listed once.
    fifteen = [s.text for s in by_text["fifteen"].suggestions]
    assert fifteen[0] == "15" and fifteen.count("15") == 1


def test_clean_text_keeps_its_numbers_whatever_their_form() -> None:
    clean = ("The town council met on Monday night to debate the new budget for the coming year. "
             "Officials said the city would spend more money on roads and schools, and that 3 of "
             "its 7 libraries would close. The mayor told reporters that taxes would not rise for "
             "fifteen months.")
    r = check(clean)
    assert r.verdict == "clean"
    assert r.restored == clean


def test_headline_figures_are_left_alone() -> None:
    text = "OUTPUT UP 5 PCT IN 3 MONTHS\n\n" + SPUN
    r = check(text)
    assert r.restored.startswith("OUTPUT UP 5 PCT IN 3 MONTHS\n")
