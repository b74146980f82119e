"""English words the language detector (``bot.core.language``) recognises as English.

Latin letters alone do not make a message English: "asdfgh", "xxxx" or "qwe rty" are typed by
anybody, and switching a Chinese user to English on them is wrong. A message is English only when
it holds words a reader of English would recognise. This list is those words: the words of the
bot's own English (``dialogs/en/*.yaml``, the English knowledge base ``knowledge/en/``), without
the pinyin, place names and codes those texts quote (zhicheng, qingdao, xhazjk), plus the common
words of short questions and chat that the bot's texts happen not to use (days, months, numbers,
"pls", "thx", "whats"). Inflected forms are also found through their stem
(``bot.core.language._known``), and one-letter slips in longer words are forgiven there.

A static list, not read from the content at run time: detection runs on every message and must
not depend on which content root a process was given; ``tests/unit/core/test_language.py`` checks
that the English questions the bot is tested on are recognised with it.
"""

from __future__ import annotations

ENGLISH_WORDS: frozenset[str] = frozenset("""
a ability able abnormal about above academic accept acceptance accepted accepts account accountability
accountable accurate achievement achievements across actively acts actual actually add added adding
additions address adjusting admin administrator adult advanced advice affect afraid after afternoon again
against age agency ago agree aid aim all allow allowed allows almost alone along already alright also
alteration altered although always am among amount amounts an and annex annexes announce announced
announcement announcements annual annually another answer answered answering answers any anybody anymore
anyone anything anyway anyways anywhere apart apologies apologise apologize app appeal appears applicant
applicants application applications applied applies apply applying appraisal appraisals appreciate approval
approve approved approves april archive are area areas aren't arent around arrangements arrival arrive
arrives article as asap ask asked asking asks assessment assist assistance assistant associate association
at attach attached attaches attachment attachments attempts august author authorities authority
automatically available award awards away awesome bachelor bachelors back bad bank base based baseline basic
basis batch be bear because become been before begin beginning behind being believe belong belongs below
bend best better between big bill bind birth bit blocked bold books born borne boss bot both bound box
breaches breaking breaks briefings bring broadcast broadcasts broken building built bureau business
businesses busy but button buttons buy by bye bypass bytes cadres calculation calendar call called calls
came can can't cancel cancelled candidate candidates cannot cant caption card care career careers careless
carelessly carries carry carrying case cases catch category cause cautious cell center certain certificate
certificates certified certifying chairman champion champions chance change changed changes channel channels
characters charge chat cheap cheaper cheating check checked checking checklist checks cheers chief child
children china chinese choice choose circumstance cited cities citizen citizenship city civil clarification
clarify class classes classified clear click close closed closing coast code colleague colleagues collect
collected collects college column columns combine combined come comes coming command commands commercialised
commercialising commission committee committees common communist community companies company compare
competent complain complaint complaints complete completed completeness compression condition conditions
confidence confidential confirm confirmed confirming confused confusing congrats connected connection
consent consequences consider consistent contact contacts content contents continue continuing contract
contracts contribution contributions conversation cooperate cooperation copies copy copyrights correct
corrections correctly correspond correspondence corresponding corresponds cost costs could couldn't couldnt
count counted counting country counts county courier couriers course courses cover covered covers crafted
craftsman create created creates credit crimes criteria criticism crossover current currently cut damaged
data database date dates day days deadline deadlines dealt dear december decide decided decides deepening
default defaults degree degrees delay delays delegating delete deleted deletion deliver delivered delivers
delivery democratic department departments depends deputy describe description detail detailed details
development dialog dialogs did didn't didnt difference different difficult digit digital digits diploma
direct directly directory disciplinary discipline dishonest dishonesty dispatch dispatched distinctive
district districts division do doctor doctoral doctorate document documents does doesn't doesnt doing don't
done dont double doubt doubts down download downloaded downloads drafts driver drop due duration during
duties each earlier early earned east easy economic economy education effect eight either electronic eleven
eligibility eligible else elsewhere email emailed employed employee employees employer employers employment
empty encoded encoding end ended engineer engineering engineers english enough enter enterprise enterprises
entries entrusted entry equal equals equivalence equivalent error errors especially established estimate
estimated etc evaluated evaluation even evening ever every everyone everything evidence exact exactly exam
example exams excel excellent except exception exceptional exceptions excerpt excluded excludes excuse
exempt exemptions exit expect expected experience expert experts expire expired expires explain explained
explains explanation extend extension extra fact facts fail failed failing failures fake faked faking fall
fallback falls false family far fast fault february fee feedback fees fell few fewer field fields figures
file filed files filing fill filled filling final finance find finds fine finish finished firms first fits
five fixes focus follow followed following follows for foreign foreigner foreigners forged forget form
formally format formerly forms formula forwarded forwards found four fraud fraudulently free freelance
freelancer freelancers freight frequency frequent friday friend from front full functional furthering gained
gave general generate generated get gets getting giant give given gives giving glad go goes going gold gone
good goodbye got government grade grades graduate graduated graduates graduation grants grassroots great
green greetings grounds group groups guess guidance guide guided guides had half halfway hand handle handled
handling hands handwritten happen happened happens happy hard has hasn't hasnt have haven't havent having he
hear heard heavily held hello help helpful her here heres hers hey hi hierarchy high higher highest highly
him hint his history hold holder holders holding holds holiday holidays home hope hotline hour hours house
household how however hows hrs human hundred i i'd i'll i'm i've id idea identity if ignore ignored ill im
immediately implementation implementing import important imported improper improve in include included
including income incomplete individual individually industrial industry inferred info inform information
initial innovation innovations innovative input inside inspection instead institution institutions insurance
integrity intermediate internal internally internet interview into invalid investigated investigation
invitation invite invoice involves involving irregular is isn't isnt issue issued issuer issues issuing it
it's item its itself ive january job jobs join jointly journals judge judged judicial july june junior just
keep keeps kept kind kindly kinds knew know knowledge known label labels labour lack lacking ladder language
languages large last late later latest law lawful lead leader learn least leave leaves left legal legality
length less let let's lets letter letters level levels liability licence license like likely limit limited
limits line link linked linking links list listed lists literally little live local locally located location
log login long longer look looked looking looks lose loses lost lot lots love low lower madam made mail
mailbox main mainland major make makes making malformed man managed management manager managing mandarin
manual manufacturing many mapping march mark marked market marks master masters match matches matching
material materials matter matters max maximum may maybe me mean meaning means meant measure medal medium
meet mention mentioned mentions menu message messages met method mid middle might million mind mine minimum
mins minute minutes misconduct misread miss missed missing moment monday money month months more morning
most move mr mrs ms much must my myself name named names national nationality nationals near need needed
needing needs neither network never new newest news next nice night nine no nobody nominated nomination
nominations none noon nor normal not note notes nothing notice notices notification notify november now
number numbered objection obtain obtained obtaining october of off office official officials offline often
oh ok okay old on once one ones online only open opening opens opinion opinions option options or order
ordinary organisation organisations organise organises organising orientation oriented original originals
other others otherwise our out outright outside outstanding over overseas oversight overview own owned
ownership page pages paid paper papers paperwork part partial parts party pass passed passes passing
passport password patent patents path paths pay paying payment pays pending pensioners people per perhaps
period permanent permit permits person personal personnel petitions phd phone photos pick picks picture
place places plagiarism plain plan platform please pledge pls plus plz point pointing police policies policy
pool position possible post postage posted posting posts powers preamble prefix prepaid preparatory prepare
press pretty prevail prevails prevention preview previous price primary principal print printed printing
privacy private privately prize probably probation problem procedure process produced product production
profession professional professionals professions professor profile programme progress promoted promotes
promotion prompt promptly proof proper protect provide provided province provinces provincial public
publication publicises publicity publics publish published publishes pulled pulling pulls punishment put
puts putting qualification qualifications qualified qualifies qualify qualifying question questions queued
quick quickly quit quite quota quotas ranked ranking rather ratio reach read readers reading ready real
really reason reasons receipt receive received receiver receives recent recipient recipients recognise
recognised recognition recommend recommendation recommendations recommended recommender recommending
recommends reconnecting record recorded records recruitment recruits refer reference refined reform
reforming refund refundable refunded refuse refused refuses refusing regardless regards register registered
registering registration regular regulation regulations rehired reject rejected rejection relate related
relation relationship relax relaxation relaxed relaxes relevant reliably reload rely remember remind
reminded reminder reminders removed renamed replace reply replying report reporting reports reprint
reprinting reprints request require required requirement requirements requires requiring research
researchers residence resident resources respectively responsibility responsible rest restart restated
restates restore restriction rests resubmission resubmit resubmitted resubmitting result results retired
retirees retirement return returned returns review reviewed reviewers reviews revoked reworded right risk
road role room round rounds route routes row rows rule rules run running runs safe said salary same sample
sanctions saturday save say saying says scan scanning scans schedule school schools scientific scope scoring
search second secondary seconds secrecy secret secrets section sections sector security see seed seem seems
seen segment select self send sender sending sends senior seniority sent separate separately september
series servant servants server service services set sets setstatus setting seven several shall share she
sheet short shorten shortfall should shouldnt show showing shown shows side sided sign signature signatures
signed signs similar simple since single sir site situation situations six sized skill skilled skills skip
skipped skipping small smes so social software solve some somebody someone something sometimes soon sorry
source sources speak speaking speaks special specialised specialized specific split spreading spreadsheet
staff stage stamp stamped stamps stand standard standards start started starting starts state states status
statuses step steps stickers still stop stopped stored straight street strictly strong study subject
subjects submission submit submits submitted submitting subscribe subscribed subscriptions such sunday
supervises supervising supervision supplement support supported supporting supports sure suspected switch
system table take taken takes talent talents talk tap target team technical technician technicians
technology telephone tell tells template ten terminal test text than thank thanks that that's thats the
their theirs them themselves then there there's theres these they they're theyre thing things think third
this those though thought thousand three through throughout thursday thx tie tier till time timeline timely
times timing title titles to today together told tomorrow tonight too took top topics total town township
track train training trains transfer transfers translate translation translator treat treated trial trouble
true trust truthfulness try trying tuesday turn twelve twice two type typing unanswered unchanged unclear
under undergraduate understand understood undone unfinished unit units university unknown unless unpacked
unreadable unsettled unsubscribe unsubscribed unsure until unusual up update updated updates upgrade upload
uploaded uploading uploads upon ur urgent urgently url us usable usage use used useful user username users
usual usually valid validity value verification verified verify version versus very via vice visa vocational
voice vs wait waived want wanted wants was wasn't wasnt watch watching way ways we we're web website wechat
wednesday week weekend weekends weeks weigh weighs welcome well went were weren't werent west what what's
whats when whenever where where's whether which while whistleblowing who whoever whole whom whos whose why
whys widening will willing window winner winners with withdraw within without won't wont word wording words
work worked worker workers working works worksheet worldskills worth would wouldn't wouldnt write writes
writing written wrong wrote year yearly years yes yesterday yet you you're youll your youre yours yourself
yr yrs zone zones
""".split())
