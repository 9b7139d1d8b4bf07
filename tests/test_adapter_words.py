"""The words adapters say on their own account are all in flows/, each by its id."""

from flows.adapter_words import WORDS, Word, words


def test_every_word_an_adapter_can_pick_has_its_words() -> None:
    assert set(WORDS) == set(Word)
    assert all(words(word).strip() for word in Word if "{" not in WORDS[word])


def test_a_word_with_a_field_shows_it_filled() -> None:
    link = "https://t.me/fairshake_bot"
    shown = words(Word.PRIVATE_ONLY, link=link)
    assert link in shown and "{" not in shown
