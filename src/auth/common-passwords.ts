/**
 * Passwords seen most often in breach corpora (NIST 800-63B §3.1.1.2 asks to refuse them).
 * Only entries of 12+ characters matter under our minimum length; shorter ones are kept so the
 * check also holds if the minimum is lowered. Compared lower-cased, and also with trailing
 * digits and punctuation removed ("Password2024!" is "password").
 */
export const COMMON_PASSWORDS: ReadonlySet<string> = new Set(`
123456 123456789 12345678 password qwerty123 qwerty 1q2w3e4r 111111 123123 1234567890 000000
abc123 password1 iloveyou qwertyuiop 654321 123321 666666 987654321 1qaz2wsx zaq12wsx
dragon monkey letmein football baseball welcome welcome1 admin administrator princess sunshine
master shadow trustno1 superman batman passw0rd p@ssw0rd p@ssword qwerty12345 1234qwer
asdfghjkl asdfghjkl123 zxcvbnm zxcvbnm123 qazwsxedc qazwsxedcrfv 1q2w3e4r5t 1q2w3e4r5t6y
qwertyuiop123 password123 password1234 password12345 passwordpassword iloveyou123
changeme changemenow changeme123 letmein123 welcome123 welcomewelcome administrator1
adminadmin admin12345 admin123456 rootroot toortoor secretsecret mypassword mypassword123
thisismypassword correcthorsebatterystaple 1234567890qwerty qwerty1234567890 123456789012
123456789abc abcdefghijkl abcdefghijklmnop abcdefg123456 aaaaaaaaaaaa 111111111111
000000000000 121212121212 123123123123 112233445566 987654321000 0987654321 147258369
159753 159357 147852369 789456123 741852963 qweasdzxc qweasdzxc123 1qazxsw2 3edc4rfv
!qaz2wsx zaq1xsw2 1234abcd abcd1234 a1b2c3d4 a1b2c3d4e5 q1w2e3r4 q1w2e3r4t5 q1w2e3r4t5y6
football123 baseball123 basketball soccer hockey superman123 spiderman starwars pokemon
michael jennifer jordan23 hunter2 harley ranger buster thomas tigger charlie robert daniel
summer winter autumn spring sunshine123 princess123 iloveyou1 lovelove loveyou
syncwarden syncwarden123 microsoft microsoft365 office365 google workspace googleworkspace
company company123 companyname letmeinplease opensesame computer internet whatever
freedom ninja mustang access access14 flower hello hello123 helloworld helloworld123
monkey123 dragon123 master123 shadow123 killer jessica pepper ginger cheese matrix
`.split(/\s+/).filter(Boolean));
