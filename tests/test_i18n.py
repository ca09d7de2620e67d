"""Languages as data (issue 22): every string a user sees is in the English and the Simplified
Chinese gettext catalogues, and the language follows the context it is set in."""

from __future__ import annotations

import threading

import pytest

from decouple import i18n, i18n_catalogue


def test_every_string_shown_is_in_both_catalogues_and_translated():
    """Extracts the strings as `make i18n` does (babel.cfg) and lists what either catalogue lacks,
    leaves untranslated or marks fuzzy, and placeholders that differ from the English."""
    found = i18n_catalogue.problems()
    assert not found, f"{len(found)} catalogue problems (run `make i18n`, then translate):\n" + "\n".join(found[:40])


def test_a_new_string_is_caught(monkeypatch):
    """The check can fail: a string the code shows but no catalogue holds is reported."""
    template = i18n_catalogue.extract()
    template.add("A sentence no catalogue has yet", None, [("model/example.py", 1)])
    found = i18n_catalogue.problems(template)
    assert any("A sentence no catalogue has yet" in line and "missing from" in line for line in found)
    assert any("zh_Hans" in line for line in found) and any("locale/en.po" in line for line in found)


@pytest.mark.parametrize(
    ("given", "tag"),
    [("zh", "zh-Hans"), ("zh-CN", "zh-Hans"), ("zh_Hans", "zh-Hans"), ("中文", "zh-Hans"), ("EN", "en"), (None, "en")],
)
def test_language_tags_users_type(given, tag):
    assert i18n.normalise(given) == tag


def test_an_unknown_language_names_the_value_and_the_choices():
    with pytest.raises(i18n.UnknownLanguage, match=r"'fr'.*en, zh, zh-Hans"):
        i18n.normalise("fr")


def test_the_language_is_the_contexts_own():
    """A block in Chinese leaves the caller in English, and another thread keeps its own."""
    assert i18n.current() == "en"
    seen = {}
    with i18n.language("zh"):
        assert i18n.current() == "zh-Hans"

        def other():
            seen["thread"] = i18n.current()

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert i18n.current() == "en"
    assert seen["thread"] == "en"


def test_a_catalogue_entry_translates():
    """Any entry of the Chinese catalogue is what gettext returns in a Chinese context, and the
    English text in an English one."""
    zh = i18n.catalogue("zh")
    assert zh, "the Chinese catalogue is empty"
    english, chinese = next(iter(zh.items()))
    with i18n.language("zh"):
        assert i18n.gettext(english) == chinese
    with i18n.language("en"):
        assert i18n.gettext(english) == english
