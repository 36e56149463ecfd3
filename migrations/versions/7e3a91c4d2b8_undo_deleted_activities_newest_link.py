"""Deleted activities kept for a while so that deleting can be undone; the key named in email-confirmation links
(only the newest link works); a body to read for each training resource

Revision ID: 7e3a91c4d2b8
Revises: 31da6b19074a
Create Date: 2026-12-04 16:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7e3a91c4d2b8"
down_revision = "31da6b19074a"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "deleted_activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("champion_id", sa.Integer(), nullable=False),
        sa.Column("row", sa.JSON(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["champion_id"],
            ["champions.id"],
            name=op.f("fk_deleted_activities_champion_id_champions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deleted_activities")),
    )
    with op.batch_alter_table("deleted_activities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deleted_activities_champion_id"), ["champion_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deleted_activities_deleted_at"), ["deleted_at"], unique=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verify_link_key", sa.String(length=32), nullable=True))
    with op.batch_alter_table("training_resources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body", sa.Text(), nullable=True))
    # Something to read for each core resource (a resource staff have already given a body keeps theirs).
    resources = sa.table("training_resources", sa.column("title", sa.String), sa.column("body", sa.Text))
    for title, body in BODIES.items():
        op.execute(resources.update().where(resources.c.title == title, resources.c.body.is_(None)).values(body=body))


def downgrade():
    with op.batch_alter_table("training_resources", schema=None) as batch_op:
        batch_op.drop_column("body")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("verify_link_key")
    with op.batch_alter_table("deleted_activities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deleted_activities_deleted_at"))
        batch_op.drop_index(batch_op.f("ix_deleted_activities_champion_id"))
    op.drop_table("deleted_activities")


# The core training, written for Greater Manchester's cancer champions from NHS public guidance.
BODIES = {
    "Being a cancer champion": """## What a cancer champion does

Cancer champions are people in Greater Manchester who talk about cancer with the people around them: family, friends, neighbours, colleagues and the groups they belong to. You do not need to know a lot about cancer. You need to be willing to listen, to share a few trusted messages, and to point people to the right help.

## Preventing cancer and finding it early

Cancer Research UK estimates that around 4 in 10 cancers in the UK could be prevented. The biggest things that lower the risk are:

- not smoking, and getting free help to stop
- keeping a healthy weight, eating plenty of fibre, fruit and vegetables, and moving more
- drinking less alcohol
- protecting skin from the sun
- having the HPV vaccine when it is offered

Finding cancer early matters too. Cancer found at an early stage is more likely to be treated successfully. That is why champions encourage people to take up screening when they are invited, and to see a GP about changes in their body that are not normal for them.

## What champions do not do

Champions are not health professionals. Do not diagnose, give medical advice or tell someone they do or do not have cancer. If someone is worried, encourage them to contact their GP practice, or NHS 111 if they need help urgently. In an emergency, call 999.

## Looking after yourself

Conversations about cancer can bring up strong feelings, including your own. It is fine to pause a conversation, to say you do not know, and to take a break from being a champion. Talk to someone you trust, or to the programme team, if something stays with you. If you are struggling, you can call Samaritans free on 116 123, any time.

Remember your own health too: take up your own screening invitations.

When you have read this, mark it as complete below. Then [log what you do as a champion](/me/activities) whenever you have a conversation.""",
    "Signs and symptoms of cancer": """## Why symptoms matter

Most changes in the body are not cancer. But when cancer is found early, treatment is more likely to work. Many people put off seeing a GP because they feel they would be wasting the doctor's time, or because they are scared. Champions can help by making it normal to get things checked.

## Changes to look out for

The NHS lists signs that are worth getting checked, especially if they are new, unusual for you or do not go away. They include:

- a lump or swelling anywhere in the body
- a cough, chest pain or breathlessness that does not go away, or a cough lasting 3 weeks or more
- changes in bowel habits, such as blood in your poo, or diarrhoea or constipation for no obvious reason
- blood in your pee, vaginal bleeding after the menopause or between periods, or coughing up blood
- a mole that changes shape, size or colour, or a sore or mouth ulcer that does not heal within 3 weeks
- losing weight without trying
- heartburn or indigestion that keeps happening, difficulty swallowing, or feeling bloated most days
- feeling very tired for no clear reason, or heavy night sweats
- pain or aches that are unexplained and do not go away

## When to see a GP

Anyone who notices a change like these should contact their GP practice and say what they have noticed and for how long. If it gets worse or they are worried while waiting, NHS 111 can help. In an emergency, call 999.

If someone has seen a GP but their symptom has not gone away, encourage them to go back. It is fine to ask again.

## What to say

Keep it simple: "That is worth getting checked. It is probably nothing, but if it is something, finding it early really helps." Offer practical help if it is a barrier, such as finding the phone number or going with them.

The NHS website has a page on cancer symptoms ([NHS: cancer symptoms](https://www.nhs.uk/conditions/cancer/symptoms/)). You do not need it to finish this training.""",
    "Screening saves lives": """## What screening is

Screening looks for early signs of cancer, or for changes that could turn into cancer, in people who feel well and have no symptoms. It can find cancer early, when treatment is more likely to work, and bowel and cervical screening can prevent cancer by finding changes before they become cancer. The NHS invites people automatically, by letter or through the NHS App, if they are registered with a GP.

## The three cancer screening programmes

- Bowel screening: everyone aged 50 to 74 is sent a home test kit every 2 years. It is a small sample of poo taken at home and posted back. People aged 75 or over can ask for a kit by calling the free bowel cancer screening helpline on 0800 707 60 60.
- Breast screening: women aged 50 up to their 71st birthday are invited for a mammogram (an X-ray of the breasts) every 3 years. Women over 71 can ask for screening by contacting their local breast screening service.
- Cervical screening: women and people with a cervix aged 25 to 64 are invited for a test that checks for HPV, a virus that can cause changes that lead to cancer. How often depends on age and on the last result, usually every 3 or 5 years.

Trans and non-binary people may not be invited automatically. They can talk to their GP practice about which screening they need.

## Helping someone who is unsure

People miss screening for many reasons: they did not understand the letter, they are embarrassed or scared, they had a bad experience, or it is hard to get time off work. Listen first. Then you can:

- explain what happens, in plain words
- say that they can ask for a female nurse or doctor, or bring someone with them
- help them find the number to book or to ask for a new kit
- remind them that screening is their choice, and that it is for people without symptoms

Anyone with symptoms should not wait for screening: they should contact their GP practice.

The NHS website explains each programme ([NHS: screening](https://www.nhs.uk/conditions/nhs-screening/)). You do not need it to finish this training.""",
    "Starting a conversation about cancer": """## Why conversations help

People are more likely to act on something a friend or neighbour says than on a leaflet. A short, kind conversation can be the reason someone books their screening or sees a GP about a change that has been worrying them.

## Finding the moment

You do not need to give a talk. Good moments come up naturally: someone mentions a screening letter, a celebrity in the news, a friend who is ill, or an awareness month. You could start with something like:

- "Have you had your bowel screening kit yet? I did mine, it was easier than I thought."
- "I have started helping with a cancer awareness project. Can I tell you one thing I learned?"

## How to have the conversation

- Listen more than you talk. Ask open questions, such as "How do you feel about that?"
- Share your own experience if you want to, but do not push.
- Keep to a few trusted messages: screening saves lives, changes that do not go away are worth checking, and there is help to stop smoking.
- Respect people's choices, beliefs and privacy. Do not share what someone tells you.
- If you do not know the answer, say so, and help them find someone who does.

## Signposting: where to send people

Signposting means pointing someone to the right help rather than giving advice yourself:

- a worrying symptom: their GP practice, or NHS 111 if they need help urgently
- screening questions or a lost kit: the number on their invitation letter, or the bowel cancer screening helpline on 0800 707 60 60
- stopping smoking: their GP practice or pharmacy, or the local stop smoking service
- living with cancer, or caring for someone who is: the Macmillan Support Line on 0808 808 00 00

If someone is in danger or needs urgent medical help, call 999.

## Afterwards

Conversations can be hard. Look after yourself, and talk to the programme team if something worries you. Then [log the conversation](/me/activities/new) so the movement can see where it is reaching people. Do not include anyone's name or health details.""",
}
