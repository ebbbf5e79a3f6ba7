"""Demo tickets in English."""

from frontline.tickets.models import Channel, Priority

from .steps import (
    ACCESS,
    BILLING,
    HW,
    OTHER,
    SOFTWARE,
    Script,
    answer,
    ask,
    confirm,
    handoff,
    note,
    priority,
    reply,
    resolve,
    tags,
    take,
    waiting_on_third_party,
)

ENGLISH = [
    Script(
        "en",
        "carol",
        HW,
        "Laptop fan is very loud and the laptop gets hot",
        "Since Monday my laptop fan runs at full speed even when only Outlook is open, and "
        "the bottom gets too hot to keep on my lap. It's the ThinkPad T14 I got last year.",
        age_days=0.2,
        fields={"device": "Laptop", "asset_tag": "ACM-0412", "since": 3},
    ),
    Script(
        "en",
        "dan",
        BILLING,
        "VAT charged on invoice INV-2024-0387",
        "Hello, our finance team noticed that invoice INV-2024-0387 shows VAT at 20%, but we "
        "are VAT-registered in Ireland and should be reverse-charged. Could you reissue it? "
        "Our VAT number is IE6388047V.\n\nRegards,\nDan Howard\nGlobex Procurement",
        age_days=0.4,
        channel=Channel.EMAIL,
        fields={
            "billing_email": "ap@globex.test",
            "invoice_number": "INV-2024-0387",
            "amount": "1440.00",
        },
        steps=(tags("sam", "vat", "invoice"),),
    ),
    Script(
        "en",
        "erin",
        ACCESS,
        "Whole sales team locked out of the CRM",
        "Phone call at 8:40. Erin says nobody in Acme's sales team (about 12 people) can sign "
        'in to the CRM since this morning; the error is "Invalid SSO response". They have '
        "customer calls all day and need it back urgently.",
        age_days=0.06,
        channel=Channel.PHONE,
        opened_by="alice",
        fields={
            "system": "CRM",
            "account_email": "erin@acme.test",
            "callback_phone": "+44 20 7946 0321",
            "blocked": True,
        },
        steps=(
            priority("sam", Priority.URGENT, "A whole team is blocked."),
            note(
                "sam",
                "Probably the SSO certificate rollover last night. Bob, can you check "
                "the IdP metadata before 10:00?",
            ),
        ),
    ),
    Script(
        "en",
        "pat",
        OTHER,
        "Where can I download my receipts?",
        "Hi, I bought the annual plan as a private person last month. Where in the portal can "
        "I download the receipts? I need them for my tax return.",
        age_days=1.1,
        steps=(
            take("alice", "Taking this one: individual customer, no organisation."),
            reply(
                "alice",
                "Hi Pat, thanks for writing. Receipts for individual plans are not "
                "in the portal yet; I am asking our finance team for a PDF and will "
                "send it here within a day.",
            ),
            note(
                "alice",
                "Receipts for private customers have to be exported from the billing "
                "system by hand. Asked finance for the PDF.",
            ),
        ),
    ),
    Script(
        "en",
        "carol",
        SOFTWARE,
        "Excel freezes when opening the shared budget file",
        "Every time I open Budget_2025_v7.xlsx from the Finance share, Excel freezes for a "
        "minute and then closes. Other files open fine, and my colleague Erin can open this "
        "one without problems.",
        age_days=0.8,
        fields={
            "application": "Microsoft Excel",
            "version": "Microsoft 365, 2409",
            "steps": "Open Excel > File > Open > Finance share > Budget_2025_v7.xlsx",
            "users_affected": 1,
        },
        steps=(
            take("li.wei"),
            reply(
                "li.wei",
                "Hi Carol, thanks for the details. Could you try starting Excel in "
                "safe mode (hold Ctrl while you start it) and open the file again? "
                "Meanwhile I'm checking the add-ins on your profile.",
            ),
            note(
                "li.wei",
                "Carol's profile loads the old Power Pivot add-in from 2019. Likely "
                "conflict; will remove it remotely if safe mode works.",
            ),
        ),
    ),
    Script(
        "en",
        "dan",
        ACCESS,
        "VPN disconnects every 10 minutes",
        "Since the update on Friday my VPN connection drops roughly every ten minutes and I "
        "have to sign in again. It happens at home and in the office. Windows 11, "
        "GlobalProtect client.",
        age_days=2.5,
        channel=Channel.EMAIL,
        fields={"system": "VPN", "account_email": "dan@globex.test"},
        steps=(
            take("alice"),
            reply(
                "alice",
                "Hi Dan, sorry about that. I can see the repeated sign-ins in the "
                "gateway log for your account and I'm checking whether it is linked "
                "to Friday's update.",
            ),
            note(
                "alice",
                "Gateway log: sessions end with 'idle timeout' although traffic is "
                "flowing. Three other Globex users show the same since Friday. Not "
                "a client problem; reinstalling the client did not help.",
            ),
            handoff(
                "alice",
                "bob",
                "Second line",
                "Gateway drops Globex sessions about every 10 minutes since Friday's "
                "update, 4 users affected. Client reinstall did not help; details in my "
                "note. Dan knows we are investigating.",
            ),
            note(
                "bob",
                "Confirmed: the new gateway profile has a 600 s idle timeout and "
                "ignores keepalives from client 6.1. Change prepared for tonight's "
                "maintenance window.",
            ),
            reply(
                "bob",
                "Hello Dan, I'm Bob from the network team and I've taken over your "
                "request. We found the cause on our side (a timeout setting on the VPN "
                "gateway) and will change it tonight after 20:00. I'll check with you "
                "tomorrow morning whether it holds.",
            ),
        ),
    ),
    Script(
        "en",
        "erin",
        HW,
        "Docking station does not detect my second monitor",
        "The left monitor stays black when I dock my laptop. The right one works. I've tried "
        "another cable and the monitor works with a colleague's laptop.",
        age_days=1.6,
        fields={"device": "Monitor", "asset_tag": "ACM-D-0077", "since": 2},
        steps=(
            take("alice"),
            reply(
                "alice",
                "Hi Erin, thanks for testing the cable already, that helps. Which "
                "port is the left monitor plugged into, HDMI or DisplayPort?",
            ),
            answer("It's the DisplayPort one, the HDMI port is used by the right monitor."),
            note(
                "alice",
                "Dock is a WD19S on firmware 01.00.14; DisplayPort outputs fail on "
                "that version with the new laptops. Firmware update needs admin rights "
                "on the dock.",
            ),
            handoff(
                "alice",
                "bob",
                "Second line",
                "WD19S dock on firmware 01.00.14, DP output dead with the T14 Gen 4. "
                "Needs the 01.00.21 firmware pushed; I don't have rights on the dock "
                "management console. Erin works with one screen meanwhile.",
            ),
            note(
                "bob",
                "Firmware 01.00.21 scheduled for ACM-D-0077 tonight together with the "
                "other docks on the 2nd floor.",
            ),
        ),
    ),
    Script(
        "en",
        "erin",
        SOFTWARE,
        "Nightly export to the accounting system skips refunds",
        "Our nightly export from the shop to the accounting system has been missing refund "
        "lines since the 1st. Sales lines are fine. Our accountant found 14 missing refunds "
        "so far, so the month-end figures don't match.",
        age_days=4.2,
        fields={
            "application": "Shop to accounting export",
            "users_affected": 3,
            "steps": "Compare refunds in the shop admin with the export file of the day.",
        },
        steps=(
            take("alice"),
            reply(
                "alice",
                "Hi Erin, thanks, that's clear. I'm collecting the export files "
                "for the last days and passing them to our integration people.",
            ),
            note(
                "alice",
                "Export files from the 1st onwards have no lines with negative "
                "amounts at all. Before the 1st they do.",
            ),
            handoff(
                "alice",
                "bob",
                "Second line",
                "Refund lines missing in the nightly export since the 1st; sales lines "
                "fine. Export files on the share under /exports/acme/. 14 refunds known.",
            ),
            note(
                "bob",
                "The export job was upgraded on the 31st; new version filters "
                "amount > 0. That's a code change, not configuration.",
            ),
            handoff(
                "bob",
                "priya",
                "Specialists",
                "Export job v3.2 drops negative amounts (refunds), see the filter in the "
                "mapping. Acme needs a fix and a re-run from the 1st. Customer informed "
                "that it is with specialists.",
            ),
            note(
                "priya",
                "Mapping fixed in v3.2.1 (refunds exported as separate credit "
                "lines). Re-run for the 1st to today queued for tonight.",
            ),
            reply(
                "bob",
                "Hi Erin, our integration specialist found the cause: the new "
                "version of the export left out negative amounts. It is fixed, and "
                "tonight we'll re-send everything from the 1st. Please ask your "
                "accountant to check tomorrow.",
            ),
        ),
    ),
    Script(
        "en",
        "grace",
        HW,
        "Printer on the 3rd floor prints blank pages",
        "The big printer next to the kitchen on the 3rd floor prints empty pages. The display "
        "says ready, no error.",
        age_days=1.2,
        fields={"device": "Printer", "asset_tag": "GLX-PR-0031"},
        steps=(
            take("li.wei"),
            ask(
                "li.wei",
                "Hi Grace, thanks. Could you print the printer's configuration page "
                "(hold the i button for 3 seconds) and send me a photo of it? I want "
                "to check the toner levels and the firmware version.",
            ),
        ),
    ),
    Script(
        "en",
        "carol",
        BILLING,
        "Card payment failed but the money was taken",
        "I tried to pay invoice INV-2025-0112 by card yesterday. The page said the payment "
        "failed, but the amount is gone from our company card.",
        age_days=0.7,
        fields={
            "billing_email": "finance@acme.test",
            "invoice_number": "INV-2025-0112",
            "amount": "389.50",
        },
        steps=(
            take("alice"),
            ask(
                "alice",
                "Hi Carol, sorry for the trouble. Could you send me the date and time "
                "of the attempt and the last four digits of the card? Then I can "
                "find the transaction with our payment provider.",
            ),
        ),
    ),
    Script(
        "en",
        "dan",
        ACCESS,
        "Access to the shared mailbox support@globex.test",
        "Please give me access to the shared mailbox support@globex.test. I've joined the "
        "customer service team this week.",
        age_days=2.0,
        fields={"system": "Email", "account_email": "dan@globex.test"},
        steps=(
            take("alice"),
            ask(
                "alice",
                "Hi Dan, welcome to the team. Who is your manager there? Access to "
                "shared mailboxes needs their approval.",
            ),
            answer("My manager is Helen Ward."),
            ask(
                "alice",
                "Thanks. I've written to Helen as well; as soon as she approves here "
                "or by email I'll grant the access.",
            ),
        ),
    ),
    Script(
        "en",
        "erin",
        HW,
        "Laptop screen cracked",
        "I dropped my laptop bag this morning and now there's a crack across the screen. The "
        "laptop works with an external monitor.",
        age_days=5.0,
        fields={"device": "Laptop", "asset_tag": "ACM-0398", "since": 0, "under_warranty": True},
        steps=(
            take("alice"),
            reply(
                "alice",
                "Hi Erin, sorry to hear that. Your laptop is covered by the "
                "accidental damage warranty, so I've booked a pickup with Lenovo's "
                "depot repair. Meanwhile you can borrow a loan laptop at the IT desk.",
            ),
            waiting_on_third_party("alice", "Lenovo depot repair"),
            note(
                "alice",
                "Lenovo case 5012347789, pickup booked for Wednesday. Loan laptop "
                "ACM-L-09 handed out.",
            ),
        ),
    ),
    Script(
        "en",
        "grace",
        BILLING,
        "Bank transfer not showing as paid",
        "We paid invoice INV-2025-0087 by bank transfer ten days ago, but the portal still "
        "shows it as unpaid and we got a reminder.",
        age_days=3.0,
        channel=Channel.EMAIL,
        fields={
            "billing_email": "accounts@globex.test",
            "invoice_number": "INV-2025-0087",
            "amount": "2150.00",
        },
        steps=(
            take("li.wei"),
            reply(
                "li.wei",
                "Hi Grace, thanks. I can't find the payment on our side yet, so "
                "I've asked our bank to trace it. Please ignore the reminder "
                "meanwhile.",
            ),
            waiting_on_third_party("li.wei", "Bank trace requested"),
            note(
                "li.wei",
                "Trace request 88-2291 sent to the bank. Globex's remittance shows "
                "the wrong reference (INV-2025-0078), probably booked to another "
                "customer.",
            ),
        ),
    ),
    Script(
        "en",
        "carol",
        ACCESS,
        "Password reset email never arrives",
        "I've tried the 'forgot password' link three times and no email arrives, not even in spam.",
        age_days=2.0,
        fields={"system": "Email", "account_email": "carol@acme.test", "blocked": True},
        steps=(
            take("li.wei"),
            ask(
                "li.wei",
                "Hi Carol, which address did you type on the reset page? Our system "
                "knows you as carol@acme.test.",
            ),
            answer("Oh, I used c.jensen@acme.test, that's the alias I usually give out."),
            resolve(
                "li.wei",
                "That explains it: reset mails only go to the main address. I've "
                "sent a new reset link to carol@acme.test just now; it's valid for "
                "an hour. Let me know if it doesn't arrive.",
            ),
        ),
    ),
    Script(
        "en",
        "pat",
        OTHER,
        "How do I change the email address on my account?",
        "I'm moving to a new email provider. How can I change the address I sign in with?",
        age_days=1.0,
        steps=(
            take("alice", "Simple account question, taking it."),
            resolve(
                "alice",
                "Hi Pat, you can change it yourself: sign in, open your name in "
                "the top right, then Profile > Email. We'll send a confirmation "
                "link to the new address. If you no longer have access to the old "
                "one, just write here.",
            ),
        ),
    ),
    Script(
        "en",
        "dan",
        HW,
        "Several keys on my keyboard stick",
        "The E, R and space keys on my keyboard stick since someone spilled coffee on it. It's "
        "the wireless keyboard that came with the desktop.",
        age_days=6.0,
        fields={"device": "Desktop", "asset_tag": "GLX-DT-0554"},
        steps=(
            take("li.wei"),
            resolve(
                "li.wei",
                "Hi Dan, cleaning won't save a keyboard after coffee, so we've "
                "sent you a new one by internal mail. It should be on your desk "
                "tomorrow; the old one can go in the e-waste box.",
            ),
            confirm(),
        ),
    ),
    Script(
        "en",
        "erin",
        SOFTWARE,
        "Teams notifications don't show up",
        "I don't get any pop-ups for new Teams messages, so I keep missing questions from "
        "customers.",
        age_days=16.0,
        fields={"application": "Microsoft Teams", "version": "24231.2"},
        steps=(
            take("alice"),
            reply(
                "alice",
                "Hi Erin, Windows Focus Assist can hide them. Could you check "
                "Settings > System > Notifications and make sure Do not disturb is "
                "off?",
            ),
            answer("It was on, switched off now. Let's see."),
            resolve(
                "alice",
                "Great. I'll mark this as resolved; if the pop-ups still don't "
                "come, just reply here and it reopens.",
            ),
        ),
    ),
    Script(
        "en",
        "grace",
        ACCESS,
        "Two-factor codes are rejected",
        "When I sign in, the code from my authenticator app is always 'invalid'. I've tried "
        "five times.",
        age_days=3.0,
        fields={
            "system": "Email",
            "account_email": "grace@globex.test",
            "callback_phone": "+1 415 555 0142",
        },
        steps=(
            take("alice"),
            resolve(
                "alice",
                "Hi Grace, that usually means the phone's clock is off by a "
                "minute or more. Please set date and time to automatic on the "
                "phone and try a fresh code.",
            ),
            answer("Clock is on automatic and it still says invalid."),
            note(
                "alice",
                "Clock fine, so the secret is probably out of sync after her phone "
                "change last week. Will reset her 2FA enrolment and call her.",
            ),
        ),
    ),
]
