"""The adapter conformance suite: what every platform adapter owes the bot.

`test_adapters.py` runs one set of tests against the terminal, Telegram (real
python-telegram-bot against tests/fakes/telegram.py) and Discord (real discord.py
against tests/fakes/discord.py), each through a `Driver` (driver.py) that plays a
person on that platform: it performs an input as the person would (a command, typed
words, a press of what is shown), and reads what the platform shows as structure (the
options pressable, their styles where the platform has styles, whether there is a way to
type). The engine underneath is the real one, recording what it was handed.
"""
