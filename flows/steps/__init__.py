"""The flow's states, one place each: what a state says, what it takes, what it does.

Each module holds a few related states of flows/machine.py. For every state it has:

- its **prompt**: the question with its buttons, shown on entering it, on `/status` and
  after any input (`Step.prompt`);
- its **input**: what typed text or a button press (other than `do:<event>`, which fires
  the machine's event) does there (`Step.on_text`, `Step.on_choice`); none means the
  state is answered by buttons only;
- its **effects**: methods the machine names in `flows.machine.TREE` (`on_enter` of the
  state, `before`/`after` of an edge), run by `transitions` when the event fires.

The modules: `facts` (gathering, review, self_service), `contact` (choosing_channel,
preparing, logging, offer), `ladder` (escalating and the rungs), `home` (idle, case_menu,
confirm_drop, resolved, dropped). Each defines a mixin of `Conversation` (flows/steps/base.py)
and a `STEPS` table; flows/dialogue.py joins them into `Dialogue`, the machine's model.
"""
